# The bot in a container: `python -m bot run`, settings from the environment.
# deploy/compose.yaml runs several of these over one PostgreSQL database; alone:
#   docker build -t newsbot .
#   docker run -d --init -e DISCORD_TOKEN=... -v newsbot-data:/app/data newsbot
# Every dependency is published as a wheel for this Python, so no compiler is needed.

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The checkout's layout, as under systemd: the bot runs from /app and keeps its files
# in /app/data (the volume).
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY index ./index
COPY seeds ./seeds
RUN pip install . \
    && rm -rf build ./*.egg-info \
    && python -m compileall -q bot index

# Runs as its own user, who may write only to the data folder. The folder is created
# here, owned by that user, so that a new named volume mounted on it is too.
RUN useradd --system --no-create-home --home-dir /app --shell /usr/sbin/nologin newsbot \
    && mkdir -p /app/data \
    && chown newsbot:newsbot /app/data
USER newsbot

# The database (SQLite, when DATABASE_URL names no PostgreSQL), the index snapshots and
# the compiled search loops' cache all live in the volume, so a new container starts warm.
ENV DATA_DIR=/app/data \
    NUMBA_CACHE_DIR=/app/data/.numba-cache
VOLUME ["/app/data"]

# SIGTERM lets ingests in hand finish (up to 20 s) and closes the database cleanly:
# give the container that long to stop (compose.yaml's stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
