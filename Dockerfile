# shipwatch: the `shipwatch` console script in a container.
#   docker build -t shipwatch .
#   docker run --rm -e SHIPWATCH_KAFKA_BOOTSTRAP=host:9092 -p 6066:6066 shipwatch          # worker
#   docker run --rm -e SHIPWATCH_KAFKA_BOOTSTRAP=host:9092 shipwatch replay FILE --max     # any command
# docker-compose.yml runs it next to a Kafka broker, Prometheus and Grafana.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# Dependencies first, in their own layer: a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import subprocess, sys, tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
subprocess.check_call([sys.executable, '-m', 'pip', 'install', *deps])"

# The packages are whatever pyproject.toml finds; .dockerignore keeps tests, docs and tools out.
COPY . ./
RUN pip install . && rm -rf build ./*.egg-info

RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/shipwatch \
        --shell /usr/sbin/nologin shipwatch \
    && mkdir -p /var/lib/shipwatch \
    && chown shipwatch:shipwatch /var/lib/shipwatch

# Inside a container the web server must listen on every interface, not 127.0.0.1.
ENV SHIPWATCH_WEB_HOST=0.0.0.0 \
    SHIPWATCH_DATA_DIR=/var/lib/shipwatch

USER shipwatch
EXPOSE 6066
ENTRYPOINT ["shipwatch"]
CMD ["worker"]
