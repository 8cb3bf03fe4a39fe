# One image per service, built from the repository root:
#   docker build --build-arg SERVICE=gateway -t mysetlist-gateway .
# SERVICE is gateway | progress | shows-ingest | catalog-ingest | simulator | cli; the image runs
# `python -m mysetlist_<service>`. The build stage resolves the locked workspace with uv; the runtime
# stage carries only the virtualenv (non-editable installs, no sources, no dev tools).
# PYTHON is the base image: the public python image by default; `make images` passes a locally
# bootstrapped Debian with the same Python (tools/stack/docker/base-image.sh) where no registry answers.
ARG PYTHON=python:3.11-slim-bookworm

FROM ${PYTHON} AS build
RUN pip install --no-cache-dir "uv>=0.13,<0.14"
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs libs
COPY services services
COPY tools/simulator tools/simulator
COPY tools/cli tools/cli
ARG SERVICE=gateway
# /app/module: what the image runs; /app/port: the variable naming its HTTP port and that port's default.
RUN uv sync --frozen --no-dev --no-editable --package "mysetlist-${SERVICE}" \
 && echo "mysetlist_$(echo "${SERVICE}" | tr - _)" > /app/module \
 && case "${SERVICE}" in \
      simulator) echo "SIM_PORT 8100" ;; \
      gateway) echo "GATEWAY_PORT 8000" ;; \
      progress) echo "PROGRESS_PORT 8001" ;; \
      shows-ingest) echo "SHOWS_INGEST_PORT 8002" ;; \
      catalog-ingest) echo "CATALOG_INGEST_PORT 8003" ;; \
      *) echo "NO_PORT -" ;; \
    esac > /app/port

# Runtime: everything that does not depend on SERVICE first, so the images share those layers.
FROM ${PYTHON}
RUN useradd --system --uid 10001 app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1
USER 10001
# Liveness without dependencies (/healthz) on the port the service reads from its environment.
HEALTHCHECK --interval=10s --timeout=10s --start-period=60s --retries=5 CMD ["python", "-c", \
  "import os, urllib.request as u; n, d = open('/app/port').read().split(); d == '-' or u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get(n, d), timeout=4)"]
CMD ["sh", "-c", "exec python -m \"$(cat /app/module)\""]
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/module /app/port /app/
