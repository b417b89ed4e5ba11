# syntax=docker/dockerfile:1
# streamfold runtime image: `docker build -t streamfold .`
#   docker run --rm -e KAFKA_BROKERS=kafka:9092 -v "$PWD/projections.yaml:/app/projections.yaml:ro" streamfold
# The image never starts a local broker (that needs Java): give it KAFKA_BROKERS. See docs/operations.md.

# Node 24 is the active LTS; the project runs on Node >= 20.19, so any LTS base works.
ARG NODE_IMAGE=node:24-slim

# 1. Compile the TypeScript sources to dist/ (needs the dev dependencies: typescript, @types/node).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY projections ./projections
COPY runtime ./runtime
RUN npm run build

# 2. Production dependencies only. classic-level ships prebuilt LevelDB binaries for linux x64 and
# arm64 (glibc), loaded at run time, so no install script or compiler is needed.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# 3. The runtime image: compiled code, production node_modules, the example definition.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    STREAMFOLD_STATE_DIR=/var/lib/streamfold \
    STREAMFOLD_HTTP_HOST=0.0.0.0 \
    STREAMFOLD_HTTP_PORT=8080 \
    STREAMFOLD_LOG_FORMAT=json
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# kafka/ holds only the local broker's poms: the CLI locates the project root by it.
COPY package.json projections.yaml ./
COPY bin ./bin
COPY kafka ./kafka
RUN mkdir -p /var/lib/streamfold \
    && chown node:node /var/lib/streamfold \
    && ln -s /app/bin/streamfold.js /usr/local/bin/streamfold
# The official image's unprivileged user (uid 1000).
USER node
VOLUME ["/var/lib/streamfold"]
EXPOSE 8080
# No curl in the slim image: Node's fetch asks /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.STREAMFOLD_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `docker run IMAGE` runs the projections; `docker run IMAGE generate ...` runs another command.
ENTRYPOINT ["streamfold"]
CMD ["run"]
