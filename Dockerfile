# One image for web, worker, beat and the one-off migrate service (docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# The same build as tests/production/ runs: install, compilemessages, collectstatic with
# production settings (so that whitenoise's manifest exists).
RUN scripts/build.sh
RUN useradd --system --uid 1000 icbt && mkdir -p /app/.var/beat && chown -R icbt /app/.var
USER icbt
EXPOSE 8000
CMD ["scripts/start.sh", "web"]
