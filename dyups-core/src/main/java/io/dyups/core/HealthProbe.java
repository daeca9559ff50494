package io.dyups.core;

import io.dyups.parser.Address;
import io.dyups.parser.HealthCheck;

/** One active health check of one server: true when the server answered as {@code check} expects. */
interface HealthProbe {
  boolean isAlive(Address address, HealthCheck check);
}
