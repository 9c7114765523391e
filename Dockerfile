# simgate's Node gateway: the build stage compiles it (npm run build), the runtime stage runs `node dist/src/node.js` as a non-root user.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# no install scripts: tsc needs none (the tree's are esbuild's, sharp's and workerd's binaries, @scarf/scarf's analytics)
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY deploy/build.mjs deploy/
COPY src src
COPY adapters adapters
COPY schemas schemas
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8787
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# dist/ holds the compiled gateway and the dashboard's files (dist/src/dashboard); /docs and uPlot come from node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8787
# slim has no curl: node asks /healthz itself
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 (no npm, no shell): SIGTERM reaches the gateway, which drains for up to 10 s and exits 0
CMD ["node", "dist/src/node.js"]
