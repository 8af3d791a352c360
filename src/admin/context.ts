// What admin routes see of the broker: read-only views and the subsystems they call.
import type { Broker } from '../broker/broker.js';

export interface AdminContext {
  readonly broker: Broker;
  /** The package version, for /v1/brokers. */
  readonly version: string;
}
