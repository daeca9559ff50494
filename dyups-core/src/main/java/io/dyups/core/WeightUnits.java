package io.dyups.core;

import org.jspecify.annotations.Nullable;

/**
 * Which primary holds each unit of the total weight, as the hash methods and random map a number below
 * {@code total_weight} to a peer: nginx walks the peers subtracting weights (ngx_http_upstream_get_hash_peer) or
 * searches their ranges (ngx_http_upstream_peek_random_peer); both give the primary whose weights, summed in the
 * order written, first pass the unit.
 *
 * <p>Up to {@link #MAX_TABLE} units, a table with the primary of every unit. Beyond, the sums of the weights and a
 * guide: the primary holding the first unit of each of about as many equal slices of the units as there are
 * primaries, so that a unit's primary is searched for among the few whose weights end in its slice, at a cost that
 * does not grow with the number of primaries. Immutable.
 */
final class WeightUnits {
  static final int MAX_TABLE = 4096;

  // The primary of each unit, or null.
  private final int @Nullable [] table;
  // The sum of the weights up to and including each primary.
  private final int[] ends;
  // The primary that holds unit (slice << shift), for every slice, and the last primary at the end.
  private final int[] guide;
  private final int shift;

  WeightUnits(Peer[] primaries, int totalWeight) {
    if (totalWeight <= MAX_TABLE) {
      table = new int[totalWeight];
      int unit = 0;
      for (int i = 0; i < primaries.length; i++) {
        for (int j = 0; j < primaries[i].weight; j++) {
          table[unit++] = i;
        }
      }
      ends = new int[0];
      guide = new int[0];
      shift = 0;
      return;
    }
    table = null;
    ends = new int[primaries.length];
    int sum = 0;
    for (int i = 0; i < primaries.length; i++) {
      sum += primaries[i].weight;
      ends[i] = sum;
    }
    // Slices of 2^shift units, no more than the average weight: about one primary or more per slice.
    shift = Math.max(0, 31 - Integer.numberOfLeadingZeros(Math.max(1, totalWeight / primaries.length)));
    int slices = ((totalWeight - 1) >>> shift) + 1;
    guide = new int[slices + 1];
    int primary = 0;
    for (int slice = 0; slice < slices; slice++) {
      long first = (long) slice << shift;
      while (ends[primary] <= first) {
        primary++;
      }
      guide[slice] = primary;
    }
    guide[slices] = primaries.length - 1;
  }

  /** True when every unit has its primary in a table. */
  boolean tabled() {
    return table != null;
  }

  /** The primary that holds unit {@code unit}, which is below the total weight. */
  int primaryOf(long unit) {
    int[] table = this.table;
    if (table != null) {
      return table[(int) unit];
    }
    int slice = (int) (unit >>> shift);
    // The first primary whose weights end above the unit, among those of its slice.
    int low = guide[slice];
    int high = guide[slice + 1];
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (ends[mid] > unit) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return low;
  }
}
