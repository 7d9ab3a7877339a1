# One image for every service; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
COPY shared ./shared
COPY migrations ./migrations
# The nats-auth volume mounts at /var/lib/taskstream/nats-auth: a new volume takes this
# directory's owner, so `taskstream nats-setup` can write the keys there.
RUN pip install . && useradd --system --no-create-home taskstream \
    && install -d -o taskstream -m 0700 /var/lib/taskstream/nats-auth

USER taskstream
ENV TASKSTREAM_HOST=0.0.0.0
EXPOSE 8000 8001
ENTRYPOINT ["taskstream"]
CMD ["command"]
