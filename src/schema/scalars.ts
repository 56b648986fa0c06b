import { DateTimeISOResolver, LocalDateResolver } from 'graphql-scalars';
import { builder } from '../builder.ts';

builder.addScalarType('Date', LocalDateResolver, {
  description: 'A calendar date without time or time zone, as `YYYY-MM-DD` (ISO 8601), e.g. `2025-06-25`.',
});

builder.addScalarType('DateTime', DateTimeISOResolver, {
  description: 'An instant in time, as an ISO 8601 string in UTC, e.g. `2026-01-08T09:30:00.000Z`.',
});
