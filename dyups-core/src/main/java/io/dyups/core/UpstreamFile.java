package io.dyups.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.dyups.parser.ConfigSyntaxException;
import io.dyups.parser.NginxConfig;
import io.dyups.parser.UpstreamBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * A file of upstreams written as nginx configuration (what {@code dyups_upstream_conf} names, and what an
 * nginx.conf may {@code include}), kept current by a journal beside it, so that a change costs the same whatever
 * the number of upstreams.
 *
 * <p><b>How it is kept.</b> Each change is appended to the journal, {@code FILE.journal-N} in the same directory,
 * as one record with a checksum, and forced to disk before {@link #put} or {@link #remove} returns (when the
 * file was opened {@code durable}). A thread of the file's own folds the journal into the file in the
 * background: after {@link Options#foldDelay} without changes, or at once when the journal has grown to the
 * size of the file (so folding costs, per change, a constant share of a rewrite). A fold starts the next
 * journal {@code FILE.journal-N+1}, writes the state at that moment to a temporary file, forces it, renames it
 * over the file, and deletes the journals it folded in. {@link #close} folds whatever is left.
 *
 * <p><b>What a crash leaves.</b> The file is replaced only by a rename, so at every moment it is whole, valid
 * nginx configuration: the state after the change its first line names. Reading at {@link #open} takes the
 * file, then the records of every journal numbered after the change the file holds; a record cut short by a
 * crash can only be the last one (it was never acknowledged) and is dropped. Every acknowledged change is
 * therefore read back, whatever moment the process died at. Anything else that is wrong (a record damaged in
 * the middle of a journal, a file that does not parse) stops {@link #open} with what and where, and nothing is
 * written over it.
 *
 * <p><b>Metadata.</b> The file keeps each upstream's version and place as a comment line before its block
 * ({@code # dyups version=7 order=3}), and the first line says which change it holds. nginx reads these as
 * comments. A block without the comment (a file written by hand) gets a version at {@link #open}. Comments of
 * one's own are not kept: the file is rewritten by every fold.
 *
 * <p><b>One owner.</b> {@link #open} takes the file for its process until {@link #close}: a lock on {@code
 * .FILE.lock} beside it. A second owner (another process, or another registry of this one) would fold away the
 * journal the first appends to, and its changes would be lost; it is refused instead.
 *
 * <p>Thread-safe: changes are serialized by the file's lock; the fold runs beside them.
 */
public final class UpstreamFile implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(UpstreamFile.class.getName());

  private static final Pattern HEADER = Pattern.compile("# dyups: upstreams after change (\\d+)\\b.*");
  private static final Pattern METADATA = Pattern.compile("# dyups version=(\\d+) order=(-?\\d+)\\s*");
  private static final byte PUT = 'P';
  private static final byte DELETE = 'D';
  /** A record's header line is short; one longer than this is damage, not a record. */
  private static final int MAX_HEADER = 128;
  /**
   * The files this JVM owns. A lock file is opened once per JVM: closing any channel on a file may release every
   * lock the process holds on it (see {@link FileLock}), so a second opener must be refused before it opens one.
   */
  private static final Set<Path> OWNED = ConcurrentHashMap.newKeySet();

  /** How a file is kept: when the journal is folded into it. */
  public record Options(Duration foldDelay, long minFoldBytes) {
    /** Fold after a second without changes, or when the journal reaches the file's size (at least 1 MiB). */
    public static final Options DEFAULT = new Options(Duration.ofSeconds(1), 1 << 20);

    /**
     * @param foldDelay how long the journal waits, after the last change, to be folded into the file: what an
     *     nginx reading the file alone lags behind by at most
     * @param minFoldBytes the journal is folded at once when it is larger than the file and than this
     * @throws IllegalArgumentException if {@code foldDelay} is negative or {@code minFoldBytes} is below 0
     */
    public Options {
      requireNonNull(foldDelay, "foldDelay");
      if (foldDelay.isNegative() || minFoldBytes < 0) {
        throw new IllegalArgumentException("foldDelay and minFoldBytes must not be negative");
      }
    }
  }

  private final Path file;
  private final Path dir;
  private final String journalPrefix;
  private final boolean durable;
  private final Options options;
  private final AtomicFileWriter writer;
  // Reads the state and writes nothing (no fold, no removal of leftovers, no owner's lock): read().
  private final boolean readOnly;
  // The lock file's channel, holding the owner's lock from open() to close().
  private @Nullable FileChannel ownerLock;

  // Guards everything below; held for an append and for the start of a fold, never for writing the file.
  private final ReentrantLock lock = new ReentrantLock();
  private Entry @Nullable [] entries = new Entry[16];
  private int size;
  private int live;
  private final Map<String, Integer> index = new HashMap<>();
  private long seq;
  private int segment;
  private @Nullable FileChannel journal;
  private long journalBytes;
  // The journal bytes the fold in progress is folding: not folded until the file is renamed.
  private long foldingBytes;
  private long fileBytes;
  // Set when a failed append could not be undone: the journal may hold a change that was refused.
  private @Nullable String broken;
  private boolean closed;
  private long lastAppendNanos;
  // Neither file nor journal at open, and nothing written since.
  private boolean isNew;
  // The journals or the metadata read at open differ from what the file holds: fold before appending.
  private boolean needsRewrite;
  // The blocks read at open, parsed once; handed out by upstreams() and dropped at the first change.
  private @Nullable List<StoredUpstream> opened;

  // Only one fold at a time: the fold thread's, or close()'s.
  private final ReentrantLock foldLock = new ReentrantLock();
  private final ScheduledExecutorService folder;
  private @Nullable ScheduledFuture<?> pendingFold;

  /** One upstream as the file keeps it: its key, version, order and text. */
  @SuppressWarnings("ArrayRecordComponent") // never compared: the text is written out as it is
  private record Entry(String key, String name, long version, long order, byte[] text) {}

  private UpstreamFile(Path file, boolean durable, Options options, AtomicFileWriter writer, boolean readOnly) {
    this.readOnly = readOnly;
    this.file = file;
    // Absolute and normalized by open() and read(): a file always has a directory.
    this.dir = requireNonNull(file.getParent(), "directory of file");
    this.journalPrefix = file.getFileName() + ".journal-";
    this.durable = durable;
    this.options = options;
    this.writer = writer;
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "dyups-fold " + file.getFileName());
      thread.setDaemon(true);
      return thread;
    });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.folder = executor;
  }

  /**
   * Opens {@code file}: reads it and its journals, drops a record a crash cut short, and folds the journals in, so
   * the file holds the whole state; then {@link #upstreams()} gives that state. A file that does not exist yet
   * (with no journal beside it) is an empty state, and {@link #isNew()} says so; it is written at the first change
   * or {@link #replaceAll}.
   *
   * @param durable force each change to disk before {@link #put} and {@link #remove} return; a cache (whose truth
   *     is elsewhere) may go without
   * @throws NoSuchFileException when the directory of {@code file} does not exist
   * @throws ConfigSyntaxException when the file is not a file of upstreams: does not parse, or holds anything
   *     but {@code upstream} blocks at its top level (which a fold would not write back); nginx's words, with
   *     file, line and column
   * @throws IOException when the file or a journal cannot be read or written, or a journal is damaged before its
   *     last record (the message says where); nothing is written over it; or when another registry, in this
   *     process or another, has the file open
   */
  public static UpstreamFile open(Path file, boolean durable, Options options) throws IOException {
    return open(file, durable, options, new AtomicFileWriter());
  }

  static UpstreamFile open(Path file, boolean durable, Options options, AtomicFileWriter writer)
      throws IOException {
    requireNonNull(file, "file");
    requireNonNull(options, "options");
    Path absolute = file.toAbsolutePath().normalize();
    Path dir = absolute.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir == null ? absolute.toString() : dir.toString(), null,
          "the directory of the upstream file " + absolute + " does not exist");
    }
    if (Files.isDirectory(absolute)) {
      throw new IOException("the upstream file " + absolute + " is a directory");
    }
    UpstreamFile opened = new UpstreamFile(absolute, durable, options, writer, false);
    try {
      opened.takeOwnership();
      opened.read();
    } catch (IOException | RuntimeException e) {
      opened.folder.shutdownNow();
      opened.releaseOwnership();
      throw e;
    }
    return opened;
  }

  /**
   * The state {@code file} and its journals hold, as {@link #open} would read it, writing nothing: no journal is
   * folded and nothing a crash left is removed. For tools and tests that look at a file a registry may be using.
   *
   * @throws ConfigSyntaxException as {@link #open}
   * @throws IOException as {@link #open}
   */
  public static List<StoredUpstream> read(Path file) throws IOException {
    Path absolute = file.toAbsolutePath().normalize();
    // A registry folding meanwhile renames a new file over this one, then deletes the journals it folded in: a
    // read during a fold may find a listed journal gone (the file holds it by then), or mix the old file with the
    // new. The fold always renames, so a read during which the file stayed the same file and every listed journal
    // was there saw one state; any other is made again.
    for (int attempt = 1; ; attempt++) {
      FileIdentity before = FileIdentity.of(absolute);
      UpstreamFile reader = new UpstreamFile(absolute, false, Options.DEFAULT, new AtomicFileWriter(), true);
      try {
        reader.read();
        if (before.equals(FileIdentity.of(absolute))) {
          return reader.upstreams();
        }
      } catch (NoSuchFileException e) {
        if (attempt == MAX_READS) {
          throw e;
        }
      } finally {
        reader.folder.shutdownNow();
      }
      if (attempt == MAX_READS) {
        throw new IOException("\"" + absolute + "\" was rewritten during each of " + MAX_READS + " reads");
      }
    }
  }

  private static final int MAX_READS = 32;

  /** Which file a path names at one moment: a rename over it gives another identity. */
  private record FileIdentity(@Nullable Object key, @Nullable FileTime modified, long size) {
    static FileIdentity of(Path file) throws IOException {
      try {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return new FileIdentity(attributes.fileKey(), attributes.lastModifiedTime(), attributes.size());
      } catch (NoSuchFileException e) {
        return new FileIdentity(null, null, -1);
      }
    }
  }

  /** Where the state is kept. */
  public Path path() {
    return file;
  }

  /** True when there was neither file nor journal at {@link #open} and nothing has been written since. */
  public boolean isNew() {
    lock.lock();
    try {
      return isNew;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The upstreams the file holds, in order: right after {@link #open}, the state read; later, the state after the
   * last change (parsing every upstream's text again).
   */
  public List<StoredUpstream> upstreams() {
    lock.lock();
    try {
      if (opened != null) {
        return opened;
      }
      List<StoredUpstream> result = new ArrayList<>(live);
      for (int i = 0; i < size; i++) {
        Entry entry = entries()[i];
        if (entry != null) {
          result.add(new StoredUpstream(parseOne(entry.text(), file.toString()), entry.version(), entry.order()));
        }
      }
      return result;
    } finally {
      lock.unlock();
    }
  }

  /** The version and order of the upstream {@code name} holds, or null when there is none. */
  @Nullable StoredVersion find(String name) {
    lock.lock();
    try {
      Integer at = index.get(UpstreamBlock.foldName(name));
      if (at == null) {
        return null;
      }
      Entry entry = entries()[at];
      return new StoredVersion(entry.name(), entry.version(), entry.order());
    } finally {
      lock.unlock();
    }
  }

  /** The name (as first written), version and order of one upstream of the file. */
  record StoredVersion(String name, long version, long order) {}

  /** The largest version and the largest order the file holds (0 when empty). */
  record Maxima(long version, long order) {}

  Maxima maxima() {
    lock.lock();
    try {
      long version = 0;
      long order = 0;
      for (int i = 0; i < size; i++) {
        Entry entry = entries()[i];
        if (entry != null) {
          version = Math.max(version, entry.version());
          order = Math.max(order, entry.order());
        }
      }
      return new Maxima(version, order);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records {@code upstream}: creates it, or replaces the upstream of the same name in its place. Durable when this
   * returns, if the file was opened {@code durable}.
   *
   * @throws IOException when the journal cannot be written; the change is then not recorded
   */
  public void put(StoredUpstream upstream) throws IOException {
    requireNonNull(upstream, "upstream");
    UpstreamBlock definition = upstream.definition();
    byte[] text = NginxConfig.toBytes(definition.toConfig());
    String name = definition.name();
    Entry entry = new Entry(UpstreamBlock.foldName(name), name, upstream.version(), upstream.order(), text);
    lock.lock();
    try {
      append(PUT, entry.version(), entry.order(), name, text);
      Integer at = index.get(entry.key());
      if (at == null) {
        add(entry);
      } else {
        entries()[at] = entry;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records the deletion of the upstream {@code name}; nothing when there is none. Durable when this returns, if
   * the file was opened {@code durable}.
   *
   * @throws IOException when the journal cannot be written; the change is then not recorded
   */
  public void remove(String name) throws IOException {
    requireNonNull(name, "name");
    String key = UpstreamBlock.foldName(name);
    lock.lock();
    try {
      Integer at = index.get(key);
      if (at == null) {
        return;
      }
      append(DELETE, 0, 0, entries()[at].name(), new byte[0]);
      removeAt(key, at);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Replaces the whole state with {@code upstreams} (in their order) by rewriting the file now, journal and all:
   * what a store does after it read its whole state anew.
   *
   * @throws IOException when the file cannot be written; the state is then as before
   */
  public void replaceAll(Collection<StoredUpstream> upstreams) throws IOException {
    List<Entry> next = new ArrayList<>(upstreams.size());
    for (StoredUpstream upstream : upstreams) {
      String name = upstream.name();
      next.add(new Entry(UpstreamBlock.foldName(name), name, upstream.version(), upstream.order(),
          NginxConfig.toBytes(upstream.definition().toConfig())));
    }
    foldLock.lock();
    try {
      Fold fold;
      lock.lock();
      try {
        checkWritable();
        // The new state is a change after every recorded one: the file holds it as such.
        seq++;
        fold = startFold(next.toArray(new Entry[0]), next.size());
        entries = new Entry[Math.max(16, next.size())];
        size = 0;
        live = 0;
        index.clear();
        for (Entry entry : next) {
          add(entry);
        }
        opened = null;
        isNew = false;
      } finally {
        lock.unlock();
      }
      finishFold(fold);
    } finally {
      foldLock.unlock();
    }
  }

  /** Folds the journal into the file now, if it holds anything. */
  public void fold() throws IOException {
    foldLock.lock();
    try {
      Fold fold;
      lock.lock();
      try {
        if (journalBytes == 0 && !needsRewrite) {
          return;
        }
        fold = startFold(Arrays.copyOf(entries(), size), live);
      } finally {
        lock.unlock();
      }
      finishFold(fold);
    } finally {
      foldLock.unlock();
    }
  }

  /** The bytes of journal not yet folded into the file (a fold in progress has not folded them yet). */
  public long journalBytes() {
    lock.lock();
    try {
      return journalBytes + foldingBytes;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Folds what is left and closes the journal; later changes throw. When the fold fails, the journal stays beside
   * the file and is read at the next {@link #open}. Idempotent.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      lock.unlock();
    }
    // A fold in progress finishes (an interrupt would close its channel under it); pending ones are dropped.
    folder.shutdown();
    try {
      folder.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (broken == null) {
        fold();
      }
    } catch (IOException | UncheckedIOException e) {
      LOG.log(Level.WARNING, "cannot fold the journal into " + file + " at close; it is read at the next start: "
          + e);
    } finally {
      lock.lock();
      try {
        closeJournal();
      } finally {
        lock.unlock();
      }
      releaseOwnership();
    }
  }

  /** Takes the file for this object until {@link #close}, or throws saying who has it. */
  private void takeOwnership() throws IOException {
    Path lockPath = dir.resolve("." + file.getFileName() + ".lock");
    if (!OWNED.add(file)) {
      throw inUse(lockPath, "in this process");
    }
    FileChannel channel = null;
    FileLock taken = null;
    try {
      channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        taken = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        // Locked through another channel of this JVM: taken stays null.
      }
    } finally {
      if (taken == null) {
        OWNED.remove(file);
        if (channel != null) {
          channel.close();
        }
      }
    }
    if (taken == null) {
      throw inUse(lockPath, "in another process");
    }
    ownerLock = channel;
  }

  private IOException inUse(Path lockPath, String where) {
    return new IOException("the upstream file " + file + " is in use by another registry " + where + " ("
        + lockPath + " is locked); a file has one owner at a time");
  }

  private void releaseOwnership() {
    FileChannel channel = ownerLock;
    ownerLock = null;
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "closing the lock file of " + file + ": " + e);
      } finally {
        OWNED.remove(file);
      }
    }
  }

  // ---- reading ----

  private void read() throws IOException {
    if (!readOnly) {
      removeLeftovers();
    }
    NavigableMap<Integer, Path> segments = segments();
    boolean fileExists = Files.exists(file);
    isNew = !fileExists && segments.isEmpty();
    long fileSeq = 0;
    // The blocks of the file, parsed once: handed out as they are unless a journal record replaced them.
    Map<String, UpstreamBlock> parsed = new HashMap<>();
    if (fileExists) {
      byte[] bytes = Files.readAllBytes(file);
      fileBytes = bytes.length;
      fileSeq = headerSeq(bytes);
      for (FileBlock block : readFile(bytes)) {
        String name = block.definition().name();
        String key = UpstreamBlock.foldName(name);
        add(new Entry(key, name, block.version(), block.order(), NginxConfig.toBytes(block.definition().toConfig())));
        parsed.put(key, block.definition());
      }
    }
    seq = fileSeq;
    int last = segments.isEmpty() ? 0 : segments.lastKey();
    for (Map.Entry<Integer, Path> journalFile : segments.entrySet()) {
      replay(journalFile.getValue(), journalFile.getKey() == last, fileSeq, parsed);
    }
    // Give versions to blocks a person wrote without them, after every version the file and journals hold.
    Maxima maxima = maxima();
    long maxVersion = Math.max(seq, maxima.version());
    long maxOrder = maxima.order();
    List<StoredUpstream> result = new ArrayList<>(live);
    for (int i = 0; i < size; i++) {
      Entry entry = entries()[i];
      if (entry == null) {
        continue;
      }
      if (entry.version() <= 0) {
        entry = new Entry(entry.key(), entry.name(), ++maxVersion, ++maxOrder, entry.text());
        entries()[i] = entry;
        needsRewrite = true;
      }
      UpstreamBlock block = parsed.get(entry.key());
      if (block == null) {
        block = parseOne(entry.text(), journalPrefix + "*");
      }
      result.add(new StoredUpstream(block, entry.version(), entry.order()));
    }
    opened = List.copyOf(result);
    segment = last;
    needsRewrite |= !segments.isEmpty();
    if (needsRewrite && !readOnly) {
      // One file again: the journals are folded in before anything is appended.
      fold();
    }
    if (segment == 0) {
      segment = 1;
    }
  }

  private static long headerSeq(byte[] bytes) {
    int end = 0;
    while (end < bytes.length && end < MAX_HEADER * 4 && bytes[end] != '\n') {
      end++;
    }
    Matcher header = HEADER.matcher(new String(bytes, 0, end, StandardCharsets.ISO_8859_1));
    return header.matches() ? Long.parseLong(header.group(1)) : 0;
  }

  /** An upstream block of the file with the version and order of its metadata line (0 when it has none). */
  private record FileBlock(UpstreamBlock definition, long version, long order) {}

  /**
   * The upstream blocks of the file, read by {@link UpstreamBlock#readAll} (anything but an upstream block at the
   * top level stops the start: a fold would not write it back, so it would be lost at the next change), with the
   * metadata line written before each ({@code # dyups version=V order=O} just before {@code upstream NAME}).
   */
  private List<FileBlock> readFile(byte[] bytes) throws IOException {
    List<UpstreamBlock> blocks = new ArrayList<>();
    UpstreamBlock.readAll(file, blocks::add,
        warning -> LOG.log(Level.WARNING, warning.toString()));
    Map<String, Metadata> metadata = metadata(bytes);
    List<FileBlock> result = new ArrayList<>(blocks.size());
    for (UpstreamBlock block : blocks) {
      Metadata found = metadata.get(UpstreamBlock.foldName(block.name()));
      result.add(found == null ? new FileBlock(block, 0, 0) : new FileBlock(block, found.version(), found.order()));
    }
    return result;
  }

  /** What a metadata line says. */
  private record Metadata(long version, long order) {}

  /** Each metadata line's version and order, by the folded name of the {@code upstream} line right after it. */
  private static Map<String, Metadata> metadata(byte[] bytes) {
    Map<String, Metadata> found = new HashMap<>();
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int at = 0;
    while (at < text.length()) {
      int end = text.indexOf('\n', at);
      if (end < 0) {
        break;
      }
      Matcher metadata = METADATA.matcher(text.substring(at, end));
      if (metadata.matches()) {
        int next = text.indexOf('\n', end + 1);
        String line = text.substring(end + 1, next < 0 ? text.length() : next);
        if (line.startsWith("upstream ")) {
          int nameEnd = line.indexOf(' ', "upstream ".length());
          String raw = line.substring("upstream ".length(), nameEnd < 0 ? line.length() : nameEnd);
          String name = new String(raw.getBytes(StandardCharsets.ISO_8859_1), UTF_8);
          found.put(UpstreamBlock.foldName(name),
              new Metadata(Long.parseLong(metadata.group(1)), Long.parseLong(metadata.group(2))));
        }
      }
      at = end + 1;
    }
    return found;
  }

  private static UpstreamBlock parseOne(byte[] text, String source) {
    List<UpstreamBlock> blocks = NginxConfig.parse(text, source).upstreams();
    if (blocks.size() != 1) {
      throw new IllegalStateException(source + ": a journal record holds " + blocks.size() + " upstreams");
    }
    return blocks.get(0);
  }

  private NavigableMap<Integer, Path> segments() throws IOException {
    TreeMap<Integer, Path> found = new TreeMap<>();
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, journalPrefix + "*")) {
      for (Path child : children) {
        String suffix = child.getFileName().toString().substring(journalPrefix.length());
        if (suffix.matches("[1-9][0-9]{0,8}") && Files.isRegularFile(child)) {
          found.put(Integer.parseInt(suffix), child);
        }
      }
    }
    return found;
  }

  /**
   * Applies the records of one journal that come after {@code fileSeq}. A record that is cut short or fails its
   * checksum ends the last journal (a crash cut the write of an unacknowledged change); anywhere else it is damage.
   */
  private void replay(Path journalFile, boolean lastSegment, long fileSeq, Map<String, UpstreamBlock> parsed)
      throws IOException {
    byte[] bytes = Files.readAllBytes(journalFile);
    int at = 0;
    while (at < bytes.length) {
      JournalRecord record = JournalRecord.decode(bytes, at);
      if (record == null) {
        if (lastSegment) {
          LOG.log(Level.DEBUG, journalFile + ": dropped " + (bytes.length - at)
              + " bytes of a change a crash cut short (it was never acknowledged)");
          return;
        }
        throw new IOException(journalFile + " is damaged at byte " + at + "; the journals after it hold later"
            + " changes, so it cannot be a change cut short by a crash. Nothing was changed; move it away to start"
            + " from the file and the other journals.");
      }
      at = record.end();
      if (record.seq() <= fileSeq) {
        continue;
      }
      seq = Math.max(seq, record.seq());
      String name = record.name();
      String key = UpstreamBlock.foldName(name);
      Integer existing = index.get(key);
      if (record.kind() == DELETE) {
        if (existing != null) {
          removeAt(key, existing);
        }
        parsed.remove(key);
      } else {
        Entry entry = new Entry(key, name, record.version(), record.order(), record.payload());
        if (existing == null) {
          add(entry);
        } else {
          entries()[existing] = entry;
        }
        parsed.remove(key);
      }
      journalBytes += record.end() - record.start();
    }
  }

  /** One journal record: {@code K SEQ VERSION ORDER NAMELEN PAYLOADLEN CRC\nNAME PAYLOAD\n}. */
  @SuppressWarnings("ArrayRecordComponent") // never compared: read once, applied, dropped
  private record JournalRecord(byte kind, long seq, long version, long order, String name, byte[] payload, int start,
      int end) {

    static byte[] encode(byte kind, long seq, long version, long order, String name, byte[] payload) {
      byte[] nameBytes = name.getBytes(UTF_8);
      String fields = (char) kind + " " + seq + " " + version + " " + order + " " + nameBytes.length + " "
          + payload.length;
      CRC32C crc = new CRC32C();
      crc.update(fields.getBytes(UTF_8));
      crc.update(nameBytes);
      crc.update(payload);
      byte[] header = (fields + " " + Long.toHexString(crc.getValue()) + "\n").getBytes(UTF_8);
      byte[] record = new byte[header.length + nameBytes.length + payload.length + 1];
      System.arraycopy(header, 0, record, 0, header.length);
      System.arraycopy(nameBytes, 0, record, header.length, nameBytes.length);
      System.arraycopy(payload, 0, record, header.length + nameBytes.length, payload.length);
      record[record.length - 1] = '\n';
      return record;
    }

    /** The record at {@code start}, or null when it is cut short or damaged. */
    static @Nullable JournalRecord decode(byte[] bytes, int start) {
      int newline = -1;
      for (int i = start; i < bytes.length && i < start + MAX_HEADER; i++) {
        if (bytes[i] == '\n') {
          newline = i;
          break;
        }
      }
      if (newline < 0) {
        return null;
      }
      String[] fields = new String(bytes, start, newline - start, UTF_8).split(" ", -1);
      if (fields.length != 7 || fields[0].length() != 1) {
        return null;
      }
      byte kind = (byte) fields[0].charAt(0);
      long seq;
      long version;
      long order;
      int nameLength;
      int payloadLength;
      long checksum;
      try {
        seq = Long.parseLong(fields[1]);
        version = Long.parseLong(fields[2]);
        order = Long.parseLong(fields[3]);
        nameLength = Integer.parseInt(fields[4]);
        payloadLength = Integer.parseInt(fields[5]);
        checksum = Long.parseLong(fields[6], 16);
      } catch (NumberFormatException e) {
        return null;
      }
      if ((kind != PUT && kind != DELETE) || nameLength < 0 || payloadLength < 0) {
        return null;
      }
      long end = (long) newline + 1 + nameLength + payloadLength + 1;
      if (end > bytes.length || bytes[(int) end - 1] != '\n') {
        return null;
      }
      int nameStart = newline + 1;
      CRC32C crc = new CRC32C();
      int fieldsEnd = newline - fields[6].length() - 1;
      crc.update(bytes, start, fieldsEnd - start);
      crc.update(bytes, nameStart, nameLength + payloadLength);
      if (crc.getValue() != checksum) {
        return null;
      }
      String name = new String(bytes, nameStart, nameLength, UTF_8);
      byte[] payload = Arrays.copyOfRange(bytes, nameStart + nameLength, nameStart + nameLength + payloadLength);
      return new JournalRecord(kind, seq, version, order, name, payload, start, (int) end);
    }
  }

  // ---- writing ----

  private Entry[] entries() {
    Entry[] current = entries;
    if (current == null) {
      throw new IllegalStateException("no entries");
    }
    return current;
  }

  private void add(Entry entry) {
    Entry[] current = entries();
    if (size == current.length) {
      if (live < size / 2) {
        compact();
        current = entries();
      } else {
        current = Arrays.copyOf(current, Math.max(16, size * 2));
        entries = current;
      }
    }
    current[size] = entry;
    index.put(entry.key(), size);
    size++;
    live++;
  }

  private void removeAt(String key, int at) {
    entries()[at] = null;
    index.remove(key);
    live--;
  }

  // Drops the holes deletions left; O(n), done when the array is full and at most half of it is live.
  private void compact() {
    Entry[] current = entries();
    Entry[] next = new Entry[Math.max(16, live * 2)];
    int to = 0;
    index.clear();
    for (int i = 0; i < size; i++) {
      if (current[i] != null) {
        next[to] = current[i];
        index.put(current[i].key(), to);
        to++;
      }
    }
    entries = next;
    size = to;
  }

  private void checkWritable() throws IOException {
    if (closed) {
      throw new IOException("the upstream file " + file + " is closed");
    }
    if (broken != null) {
      throw new IOException(broken);
    }
  }

  // Called under lock. Writes one record at the end of the current journal and forces it; on failure, cuts the
  // journal back to where it was, so that a refused change is not read back at the next start.
  private void append(byte kind, long version, long order, String name, byte[] payload) throws IOException {
    checkWritable();
    FileChannel channel = journal;
    if (channel == null) {
      channel = openJournal(segment);
    }
    byte[] record = JournalRecord.encode(kind, seq + 1, version, order, name, payload);
    long before = channel.size();
    try {
      writer.append(channel, record, durable);
    } catch (IOException | RuntimeException e) {
      try {
        channel.truncate(before);
        channel.force(false);
      } catch (IOException | RuntimeException undo) {
        e.addSuppressed(undo);
        broken = "the journal " + journalPath(segment) + " could not be cut back after a failed write (" + undo
            + "); it may hold a change that was refused, so no change is accepted until a restart reads it";
        LOG.log(Level.ERROR, broken);
      }
      throw e;
    }
    seq++;
    journalBytes += record.length;
    isNew = false;
    opened = null;
    lastAppendNanos = System.nanoTime();
    scheduleFold();
  }

  private FileChannel openJournal(int number) throws IOException {
    Path path = journalPath(number);
    FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND);
    // The journal's name must be on disk before a change in it is acknowledged.
    forceDirectory();
    journal = channel;
    return channel;
  }

  private Path journalPath(int number) {
    return dir.resolve(journalPrefix + number);
  }

  private void closeJournal() {
    FileChannel channel = journal;
    journal = null;
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "closing " + journalPath(segment) + ": " + e);
      }
    }
  }

  private void forceDirectory() throws IOException {
    if (!durable) {
      return;
    }
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot open a directory for reading; their renames and creations are then as durable
      // as they make them.
      LOG.log(Level.DEBUG, "cannot force directory " + dir + ": " + e);
    }
  }

  // ---- folding ----

  /** What one fold writes: the state after change {@code seq}, and the journals it then deletes. */
  @SuppressWarnings("ArrayRecordComponent") // never compared: handed from the writer to the folder
  private record Fold(Entry[] entries, int live, long seq, int lastFolded) {}

  // Called under lock and foldLock: moves appends to the next journal and takes the state to write.
  private Fold startFold(Entry[] snapshot, int liveCount) throws IOException {
    int folded = segment;
    if (journal != null || journalBytes > 0) {
      closeJournal();
      segment++;
    }
    foldingBytes += journalBytes;
    journalBytes = 0;
    needsRewrite = false;
    return new Fold(snapshot, liveCount, seq, folded);
  }

  // Called under foldLock only: writes the file, then deletes the journals it holds. On failure, the journals
  // stay and the next fold (or start) takes them again.
  private void finishFold(Fold fold) throws IOException {
    long[] written = new long[1];
    try {
      AtomicFileWriter.Content content = out -> {
        byte[] header = ("# dyups: upstreams after change " + fold.seq() + "; later changes are in "
            + journalPrefix + "* beside this file until folded in\n").getBytes(UTF_8);
        out.write(header);
        written[0] += header.length;
        for (Entry entry : fold.entries()) {
          if (entry == null) {
            continue;
          }
          byte[] metadata = ("# dyups version=" + entry.version() + " order=" + entry.order() + "\n")
              .getBytes(UTF_8);
          out.write(metadata);
          out.write(entry.text());
          written[0] += metadata.length + entry.text().length;
        }
      };
      // Fault tests fail the two-argument form, which forces.
      if (durable) {
        writer.replace(file, content);
      } else {
        writer.replace(file, content, false);
      }
    } catch (UncheckedIOException e) {
      lock.lock();
      try {
        needsRewrite = true;
      } finally {
        lock.unlock();
      }
      throw e.getCause();
    } catch (IOException e) {
      lock.lock();
      try {
        needsRewrite = true;
      } finally {
        lock.unlock();
      }
      throw e;
    }
    lock.lock();
    try {
      fileBytes = written[0];
      foldingBytes = 0;
    } finally {
      lock.unlock();
    }
    for (Map.Entry<Integer, Path> old : segments().headMap(fold.lastFolded(), true).entrySet()) {
      try {
        Files.deleteIfExists(old.getValue());
      } catch (IOException e) {
        // Read again at the next start and skipped: the file holds its changes.
        LOG.log(Level.DEBUG, "cannot delete folded journal " + old.getValue() + ": " + e);
      }
    }
  }

  // Called under lock after an append.
  private void scheduleFold() {
    if (closed) {
      return;
    }
    boolean large = journalBytes >= Math.max(options.minFoldBytes(), fileBytes);
    ScheduledFuture<?> pending = pendingFold;
    if (pending != null && !pending.isDone()) {
      if (!large || pending.getDelay(TimeUnit.NANOSECONDS) <= 0) {
        return;
      }
      pending.cancel(false);
    }
    long delay = large ? 0 : options.foldDelay().toNanos();
    try {
      pendingFold = folder.schedule(this::foldWhenDue, delay, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closing: close() folds.
    }
  }

  // On the fold thread: folds when the journal is large or has been quiet for foldDelay; else waits for that.
  private void foldWhenDue() {
    long wait;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      boolean large = journalBytes >= Math.max(options.minFoldBytes(), fileBytes);
      long quiet = System.nanoTime() - lastAppendNanos;
      wait = large ? 0 : options.foldDelay().toNanos() - quiet;
      if (wait > 0) {
        pendingFold = folder.schedule(this::foldWhenDue, wait, TimeUnit.NANOSECONDS);
        return;
      }
    } finally {
      lock.unlock();
    }
    try {
      fold();
    } catch (IOException | UncheckedIOException | SecurityException e) {
      LOG.log(Level.WARNING, "cannot fold the journal into " + file + " (tried again at the next change): " + e);
    }
  }

  // ---- start ----

  private void removeLeftovers() {
    try {
      int removed = writer.removeLeftovers(file);
      if (removed > 0) {
        LOG.log(Level.INFO, "removed " + removed + " temporary file(s) a crash left beside " + file);
      }
    } catch (IOException | UncheckedIOException | SecurityException e) {
      LOG.log(Level.WARNING, "cannot remove temporary files beside " + file + ": " + e);
    }
  }

  @Override
  public String toString() {
    return "UpstreamFile[" + file + "]";
  }
}
