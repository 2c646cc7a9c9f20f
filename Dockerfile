FROM python:3.11-slim AS assets
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json Makefile ./
RUN npm ci --no-audit --no-fund && mkdir -p static && make vendor

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=crm.settings.production
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
COPY --from=assets /app/static/vendor static/vendor
RUN SECRET_KEY=build ALLOWED_HOSTS=localhost REDIS_URL=redis://localhost DATABASE_URL=postgres://x@localhost/x \
    python manage.py collectstatic --noinput
RUN useradd --create-home crm
USER crm
EXPOSE 8000
CMD ["gunicorn", "crm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4"]
