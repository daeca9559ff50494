package io.dyups.core;

/**
 * The padding in front of the fields of every class whose fields one thread writes on every pick: a
 * {@link BalancingLock}'s word, a {@link Worker}'s position and counts, a {@link WorkerPeerCounters}, a
 * {@link PeerSelection}. Objects that different threads write may lie side by side in memory (allocated one after
 * the other, or moved next to each other by the collector, which copies objects in the order it finds them); a
 * write to one would then cost the thread using the other a cache miss on every pick (false sharing).
 *
 * <p>A padded class is laid out as this class's 64 bytes, then its fields, then 64 bytes of its own:
 *
 * <pre>
 * Padded                    byte p000 … p063     (this class: one cache line)
 *   XFields extends Padded  the fields           (a superclass's fields come before a subclass's)
 *     X extends XFields     byte q000 … q063     (the trailing pad, declared by each padded class)
 * </pre>
 *
 * <p>The padding is made of bytes, as in Caffeine's header classes: HotSpot (since JDK 15) fills a gap in a
 * superclass's layout with a subclass's field when one fits, and the 4 bytes after a compressed object header are
 * such a gap when the first superclass has only longs; bytes leave no gap, so no field can move ahead of the
 * padding. 64 bytes is a cache line on x86-64 and on most ARM cores.
 *
 * <p>An array that one thread writes on the request path (a {@link PeerSelection}'s tried peers beyond the first
 * 64, on a retry) has no fields to pad: it keeps {@link #ARRAY_PAD_LONGS} or {@link #ARRAY_PAD_INTS} elements,
 * 64 bytes, unused at each end, and its users index it from there.
 */
abstract class Padded {
  /** The elements a {@code long[]} leaves unused at each end: 64 bytes. */
  static final int ARRAY_PAD_LONGS = 8;
  /** The elements an {@code int[]} leaves unused at each end: 64 bytes. */
  static final int ARRAY_PAD_INTS = 16;

  byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015;
  byte p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031;
  byte p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047;
  byte p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063;
}
