"""Answering questions: the analyser, the BM25 index and its kernels, snapshots of the
index, and the quoting of passages."""
