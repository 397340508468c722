# syntax=docker/dockerfile:1
# Slim, non-root image of interrupt-bridge. Build: docker build -t interrupt-bridge .
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY app ./app
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BRIDGE_HOST=0.0.0.0 \
    BRIDGE_PORT=8000 \
    BRIDGE_CONFIG=/etc/interrupt-bridge/bridge.yaml \
    DATABASE_URL=sqlite:////var/lib/interrupt-bridge/bridge.sqlite3
RUN groupadd --system --gid 10001 bridge \
    && useradd --system --uid 10001 --gid bridge --home-dir /nonexistent --shell /usr/sbin/nologin bridge \
    && mkdir -p /var/lib/interrupt-bridge /etc/interrupt-bridge \
    && chown bridge:bridge /var/lib/interrupt-bridge
COPY --from=build /opt/venv /opt/venv
COPY deploy/bridge.example.yaml /etc/interrupt-bridge/bridge.yaml
USER 10001:10001
WORKDIR /var/lib/interrupt-bridge
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD ["python", "-c", "import os,sys,urllib.request; port=os.environ.get('BRIDGE_PORT','8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["interrupt-bridge"]
CMD ["serve"]
