// Redis as an optional neighbour: events between server processes and shared rate-limit
// counters. Whatever Redis does (refuse, drop, stall), no request waits on it for more than a
// moment and no rejection escapes: each failure is handled where it arises, logged and counted,
// and the clients reconnect by themselves.
import { once } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/** How long one Redis command may take before it counts as failed. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/** Counters of what Redis trouble cost: exposed as metrics. */
export interface RedisStats {
  /** Events that could not be published (subscribers of other processes missed them). */
  lostEvents: number;
  /** Commands that failed or timed out. */
  failures: number;
}

export interface RedisConnections {
  /** For commands (rate limits) and publishing. */
  client: Redis;
  /** For subscribing (a subscribed connection can do nothing else). */
  subscriber: Redis;
  stats: RedisStats;
  /** Whether the command connection is ready now. */
  isReady(): boolean;
  /** Answers PING within the command timeout. */
  ping(): Promise<boolean>;
  /** Resolves true once both connections are ready, or false after `ms`. */
  whenReady(ms: number): Promise<boolean>;
  disconnect(): void;
}

const OPTIONS: RedisOptions = {
  // A command waits at most this long: a stalled Redis is a failure, not a hang.
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  connectTimeout: 2_000,
  // While disconnected, commands fail at once instead of queueing until Redis returns.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  // Reconnect forever, at most every 2 s: recovery needs no restart.
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
};

export function connectRedis(url: string, logger: Logger): RedisConnections {
  const stats: RedisStats = { lostEvents: 0, failures: 0 };
  const client = new Redis(url, { ...OPTIONS, lazyConnect: false });
  // The subscriber queues its SUBSCRIBE commands until it is connected, and re-subscribes
  // after a reconnection (ioredis' autoResubscribe).
  const subscriber = new Redis(url, {
    ...OPTIONS,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    commandTimeout: undefined,
  });
  let lastError = '';
  for (const [name, connection] of [
    ['redis', client],
    ['redis subscriber', subscriber],
  ] as const) {
    connection.on('error', (error: Error) => {
      // ioredis reports each failed reconnection: log a change of state, not every attempt.
      if (error.message !== lastError) logger.warn({ err: error.message }, `${name} error`);
      lastError = error.message;
    });
    connection.on('ready', () => {
      if (lastError) logger.info(`${name} connected again`);
      lastError = '';
    });
  }
  return {
    client,
    subscriber,
    stats,
    isReady: () => client.status === 'ready',
    async ping() {
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        stats.failures++;
        return false;
      }
    },
    async whenReady(ms) {
      const timeout = AbortSignal.timeout(ms);
      const ready = (connection: Redis) =>
        connection.status === 'ready' ? undefined : once(connection, 'ready', { signal: timeout });
      try {
        await Promise.all([ready(client), ready(subscriber)]);
        return true;
      } catch {
        return false;
      }
    },
    disconnect() {
      client.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * The two clients as @graphql-yoga/redis-event-target uses them, with every command's failure
 * handled: the event target calls publish, subscribe and unsubscribe without waiting for them,
 * so a rejection there would be unhandled (and end the process).
 */
export function eventTargetClients(redis: RedisConnections, logger: Logger) {
  const publishClient = {
    publish(channel: string, message: string) {
      return redis.client.publish(channel, message).catch((error: Error) => {
        redis.stats.lostEvents++;
        redis.stats.failures++;
        logger.warn({ err: error.message, channel }, 'an event was not published: Redis is unavailable');
        return 0;
      });
    },
  };
  const subscribeClient = {
    on: (event: 'message', listener: (channel: string, message: string) => void) => {
      redis.subscriber.on(event, listener);
      return subscribeClient;
    },
    subscribe: (channel: string) =>
      redis.subscriber.subscribe(channel).catch((error: Error) => {
        redis.stats.failures++;
        logger.warn({ err: error.message, channel }, 'could not subscribe to a Redis channel');
        return 0;
      }),
    unsubscribe: (channel: string) =>
      redis.subscriber.unsubscribe(channel).catch((error: Error) => {
        redis.stats.failures++;
        logger.warn({ err: error.message, channel }, 'could not unsubscribe from a Redis channel');
        return 0;
      }),
  };
  // The event target is typed for a whole client; it uses only these methods.
  return { publishClient: publishClient as unknown as Redis, subscribeClient: subscribeClient as unknown as Redis };
}
