# papergraph: the GraphQL server. Build: docker build -t papergraph .
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY data ./data
COPY tsconfig.json ./
USER node
EXPOSE 4000
CMD ["node", "bin/papergraph.js", "serve"]
