package io.dyups.benchmarks;

/**
 * The padding in front of the fields of a benchmark's per-thread state ({@code @State(Scope.Thread)}) that the
 * measured code writes on every operation: {@link PickBenchmark.Request}'s position, {@link CpuTime}'s count.
 *
 * <p>JMH pads a state class after its fields (its generated subclasses {@code X_jmhType_B1} and {@code _B3} add
 * 256 bytes each), never before them: the fields lie right after the object header, and what precedes the object
 * in memory may be written by another benchmark thread (states are allocated one after the other, and the
 * collector copies objects next to each other in the order it finds them). With two threads, each write could then
 * cost the other thread a cache miss: at 10 000 servers, two unpadded threads' least_conn picks took 115.5 ns in
 * one fork and 43.5 in the next, 34.3 and 35.0 with this padding (BENCHMARKS.md, issue 22, fourth step, which
 * also has the swings the padding did not remove).
 *
 * <p>A state extends this class, so the layout is these 128 bytes, the state's fields (a superclass's fields come
 * before a subclass's), then JMH's padding. 128 bytes, two cache lines, because x86-64 cores fetch lines in
 * adjacent pairs. Bytes, as in dyups-core's {@code Padded}: HotSpot fills a gap in a superclass's layout with a
 * subclass's field when one fits, and bytes leave no gap, so no field moves ahead of the padding.
 */
abstract class PaddedThreadState {
  byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015;
  byte p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031;
  byte p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047;
  byte p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063;
  byte p064, p065, p066, p067, p068, p069, p070, p071, p072, p073, p074, p075, p076, p077, p078, p079;
  byte p080, p081, p082, p083, p084, p085, p086, p087, p088, p089, p090, p091, p092, p093, p094, p095;
  byte p096, p097, p098, p099, p100, p101, p102, p103, p104, p105, p106, p107, p108, p109, p110, p111;
  byte p112, p113, p114, p115, p116, p117, p118, p119, p120, p121, p122, p123, p124, p125, p126, p127;
}
