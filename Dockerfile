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
RUN pip install . && useradd --system --no-create-home taskstream

USER taskstream
ENV TASKSTREAM_HOST=0.0.0.0
EXPOSE 8000 8001
ENTRYPOINT ["taskstream"]
CMD ["command"]
