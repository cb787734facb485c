# Kassa's image. What it runs is the README's "Running it in production" recipe, word for word
# (tests/unit/test_deploy_recipe.py holds the two together); compose.yaml runs `kassa migrate`
# once, then the API and the worker from this same image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . \
    && useradd --create-home --uid 10001 --user-group kassa \
    && rm -rf /src

USER kassa
WORKDIR /home/kassa
# No demo data in production; set KASSA_DATABASE_URL (and the KASSA_SMTP_* settings) at run time.
ENV KASSA_DEMO=0
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
CMD ["kassa", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--forwarded-allow-ips", "*"]
