package io.dyups.examples;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * The body of a streamed admin answer (a large listing) on its way to the client. The admin handler writes it on
 * a thread of the proxy's admin streams; it goes to the client's channel as HTTP content, a piece of
 * {@value #PIECE} bytes at a time, and the writer waits while the channel is not writable: what is held at once is
 * Netty's write buffer (up to its high-water mark) and one piece, however large the listing.
 *
 * <p>The connection {@linkplain #wake() wakes} a waiting writer when its channel becomes writable or closes; a
 * closed channel (the client went away, or {@code send_timeout} closed it) ends the writing with an
 * {@link IOException}. Not thread-safe: one writer; {@link #wake} may be called from any thread.
 */
final class AdminBodyStream extends OutputStream {
  static final int PIECE = 16 * 1024;

  private final Channel channel;
  private final byte[] piece = new byte[PIECE];
  private final Object writable = new Object();
  private int used;
  private long written;

  AdminBodyStream(Channel channel) {
    this.channel = channel;
  }

  @Override
  public void write(int b) throws IOException {
    if (used == PIECE) {
      send();
    }
    piece[used++] = (byte) b;
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    while (length > 0) {
      if (used == PIECE) {
        send();
      }
      int n = Math.min(length, PIECE - used);
      System.arraycopy(bytes, offset, piece, used, n);
      used += n;
      offset += n;
      length -= n;
    }
  }

  /** Sends nothing: a piece goes when it is full, the last one at {@link #finish}, never a small one between. */
  @Override
  public void flush() {}

  /** Sends what is left; the caller then ends the answer. */
  void finish() throws IOException {
    if (used > 0) {
      send();
    }
  }

  /** The body's bytes sent so far. */
  long written() {
    return written;
  }

  /** Tells a waiting writer that the channel became writable or closed. */
  void wake() {
    synchronized (writable) {
      writable.notifyAll();
    }
  }

  private void send() throws IOException {
    synchronized (writable) {
      // Checked under the lock that wake() takes: a change between the check and the wait is not missed. The
      // timeout only bounds the wait should a wake-up come from nowhere.
      while (channel.isActive() && !channel.isWritable()) {
        try {
          writable.wait(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("the proxy is stopping");
        }
      }
    }
    if (!channel.isActive()) {
      throw new IOException("the client's connection is closed");
    }
    // Written from this thread, the content is queued to the channel's event loop in order; its size counts
    // against the channel's writability at once, so the next piece waits if the client is slow.
    channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(piece, 0, used)), channel.voidPromise());
    written += used;
    used = 0;
  }
}
