# One image per service, built from the repository root:
#   docker build --build-arg SERVICE=gateway -t mysetlist-gateway .
# SERVICE is gateway | progress | shows-ingest | catalog-ingest | simulator | cli; the image runs
# `python -m mysetlist_<service>`. The build stage resolves the locked workspace with uv; the runtime
# stage carries only the virtualenv (non-editable installs, no sources, no dev tools).
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
RUN uv sync --frozen --no-dev --no-editable --package "mysetlist-${SERVICE}" \
 && echo "mysetlist_$(echo "${SERVICE}" | tr - _)" > /app/module

FROM ${PYTHON}
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/module /app/module
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1
RUN useradd --system --uid 10001 app
USER 10001
CMD ["sh", "-c", "exec python -m \"$(cat /app/module)\""]
