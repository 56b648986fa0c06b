// OpenTelemetry traces, when an OTLP endpoint is configured (the standard
// OTEL_EXPORTER_OTLP_ENDPOINT; OTEL_EXPORTER_OTLP_HEADERS and the other OTEL_* variables are
// read by the exporter itself): a span per GraphQL operation and its phases, through the
// envelop plugin. Loaded only when configured. Variables and results are not recorded: they
// may hold what clients send and read.
import { useOpenTelemetry } from '@envelop/opentelemetry';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Plugin } from 'graphql-yoga';

export interface Tracing {
  plugin: Plugin;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

export function createTracing(version: string): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'papergraph', 'service.version': version }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  return {
    plugin: useOpenTelemetry({ resolvers: false, variables: false, result: false }, provider) as Plugin,
    shutdown: () => provider.shutdown(),
  };
}
