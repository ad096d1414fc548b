# Python 3.11 is the version CI runs the tests on; Debian 12 (bookworm) gives the ffmpeg 5.1
# the tests and the voice fixtures are made with. Bump both tags together.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Dependencies in their own layer, exactly as uv.lock pins them (hashes checked): editing the
# source does not reinstall them. imageio-ffmpeg is left out: it only supplies an ffmpeg where
# the system has none, and this image has Debian's (bot/services/audio.py prefers it).
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project --no-install-package imageio-ffmpeg
COPY README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN uv sync --locked --no-dev --no-editable --no-install-package imageio-ffmpeg

FROM ${PYTHON_IMAGE}
# The one ffmpeg: the bot runs it directly to decode and re-encode voice notes (libopus).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg=7:5.1.* \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 bot \
    && useradd --create-home --uid 10001 --gid bot bot \
    && mkdir -p /data \
    && chown bot:bot /data
COPY --from=build /app/.venv /app/.venv
WORKDIR /app
# DATA_DIR keeps the database on the volume even if an --env-file brings another DATABASE_PATH.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data \
    DATABASE_PATH=/data/bot.sqlite3 \
    HEALTH_PORT=8081 \
    SHUTDOWN_GRACE_SECONDS=20
USER 10001:10001
VOLUME ["/data"]
# GET /healthz on HEALTH_PORT (8081 if unset or empty) answers 200 while polling is alive and
# the database answers; urllib raises (exit 1) on 503 or no answer, so the image needs no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % (os.environ.get('HEALTH_PORT') or '8081'), timeout=4)"]
CMD ["python", "-m", "bot"]
