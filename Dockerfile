# compas_cloud server image: the server, numpy, COMPAS and Dask's client, run by a non-root user.
#   docker build -t compas_cloud .
#   docker run -p 9009:9009 -e COMPAS_CLOUD_TOKEN=... compas_cloud
# The token comes from the environment variable COMPAS_CLOUD_TOKEN or from a mounted secret file
# (default /run/secrets/compas_cloud_token, or $COMPAS_CLOUD_TOKEN_SECRET). Without a token the
# server refuses to start: it listens on 0.0.0.0. Extra arguments go to the server
# (docker run ... compas_cloud --executor dask --scheduler tcp://scheduler:8786). See docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin compas

COPY . /tmp/compas_cloud
RUN pip install "/tmp/compas_cloud[server,dask]" && rm -rf /tmp/compas_cloud

USER compas
WORKDIR /home/compas
EXPOSE 9009

# GET /healthz on $COMPAS_CLOUD_PORT over http://, or https:// when the server was given --certfile/--keyfile
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["python", "-m", "compas_cloud.server.healthcheck"]

ENTRYPOINT ["sh", "-c", "secret=\"${COMPAS_CLOUD_TOKEN_SECRET:-/run/secrets/compas_cloud_token}\"; if [ -z \"$COMPAS_CLOUD_TOKEN\" ] && [ -e \"$secret\" ]; then if [ ! -r \"$secret\" ]; then echo \"compas_cloud: the token secret $secret cannot be read by user $(id -u) (make it readable for the image's user, uid 10001)\" >&2; exit 2; fi; COMPAS_CLOUD_TOKEN=\"$(cat \"$secret\")\"; export COMPAS_CLOUD_TOKEN; fi; exec python -m compas_cloud.server --host \"${COMPAS_CLOUD_HOST:-0.0.0.0}\" --port \"${COMPAS_CLOUD_PORT:-9009}\" \"$@\"", "compas_cloud"]
CMD []
