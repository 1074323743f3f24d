# syntax=docker/dockerfile:1
# The tracker's image: Python slim, dependencies installed from the hashed lock file only, USWDS copied from
# npm at build time, static files collected (hashed, compressed) into the image, run as an unprivileged user.
#   docker build -t followup-tracker .
# One image runs every role: web (the default command), worker, beat and migrate (see compose.yaml).
ARG PYTHON_VERSION=3.11

# --- USWDS from the npm lock file (the same files `make install` vendors) -----------------------------------------
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY scripts/vendor-static.sh scripts/
RUN mkdir static && bash scripts/vendor-static.sh

# --- The application ------------------------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production \
    STATIC_ROOT=/app/staticfiles \
    VAR_DIR=/data/var \
    MEDIA_ROOT=/data/media \
    PORT=8000

RUN groupadd --system --gid 10001 tracker \
    && useradd --system --uid 10001 --gid tracker --home-dir /app --no-create-home --shell /usr/sbin/nologin tracker

WORKDIR /app
# Exactly the locked versions, each checked against its hash; nothing resolved at build time.
COPY requirements.lock ./
RUN pip install --no-deps --require-hashes -r requirements.lock

COPY . .
COPY --from=assets /src/static/vendor/ static/vendor/
# collectstatic needs no service and no secret: it runs with the development defaults, writing the manifest.
RUN DJANGO_ENV=development STATIC_MANIFEST=true VAR_DIR=/tmp/build-var python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var \
    && mkdir -p /data/var /data/media \
    && chown -R tracker:tracker /data

USER tracker
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=4)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]
