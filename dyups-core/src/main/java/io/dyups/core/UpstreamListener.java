package io.dyups.core;

/**
 * Told of every change to a registry, after the change is visible, one change at a time in the order the
 * changes were made, on the registry's own notification thread. A slow listener delays later notifications,
 * never writers; an exception it throws is logged and changes nothing.
 */
@FunctionalInterface
public interface UpstreamListener {
  void onChange(UpstreamChange change);
}
