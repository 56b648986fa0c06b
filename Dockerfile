# papergraph: the GraphQL server. Build: docker build -t papergraph .
# Run on the embedded database (kept in the /data volume):
#   docker run -p 4000:4000 -v papergraph-data:/data papergraph
# Run on PostgreSQL: add -e DATABASE_URL=postgres://user:pass@host:5432/papergraph (see docker-compose.yml).

# The JavaScript build (TypeScript compiled once, not at every start).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY data ./data
# npm ci runs the build (the prepare script).
RUN npm ci --no-audit --no-fund

# The production dependencies alone.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
# tini forwards signals to node (graceful shutdown on docker stop) and reaps children.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 DATA_DIR=/data NODE_COMPILE_CACHE=/tmp/node-compile-cache
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The embedded database's folder, owned by the user the server runs as (PGlite creates its
# files world-writable: the folder itself stays private).
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
VOLUME ["/data"]
USER node
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/papergraph.js", "serve"]
