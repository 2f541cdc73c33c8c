# syntax=docker/dockerfile:1
# The current Node LTS line (24, "Krypton"), pinned to a release so builds are repeatable; raise it deliberately.
ARG NODE_IMAGE=node:24.11.1-bookworm-slim
# Build stage: compile TypeScript and the native SQLite binding, then drop dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# npm ci builds the sources itself (the package's prepare script), so they are copied first.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# Runtime stage: no compilers, a non-root user, the data directory as a volume.
FROM ${NODE_IMAGE}
# GLIBC_TUNABLES: malloc backed by transparent huge pages (one arena: glibc 2.36 gives them only to the main one).
# SQLite's page caches are malloc'd, so a read cache of several GiB costs far fewer TLB misses (README, Sizing).
ENV NODE_ENV=production \
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    VESTA_DATA_DIR=/data \
    LOG_LEVEL=info
WORKDIR /app
# A fixed numeric uid/gid (10001): Kubernetes' runAsNonRoot can verify it, and a bind mount can be given to it.
RUN groupadd --system --gid 10001 vesta \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin vesta \
 && mkdir -p /data && chown 10001:10001 /data && chmod 700 /data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY profiles ./profiles
COPY conformance ./conformance
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM from `docker stop` triggers Vesta's graceful shutdown (in-flight requests finish, the store closes).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
