package io.dyups.examples;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The I/O transport, through Netty: Linux's io_uring where the kernel allows it, else epoll, both by Netty's
 * native libraries; Java's NIO selector elsewhere or when neither library loads. {@code -Ddyups.transport=}
 * {@code io_uring}, {@code epoll} or {@code nio} picks one (to compare them, or to rule a native library out);
 * a name it does not know, or a transport this machine cannot run, stops the start with the reason.
 *
 * <p>Why io_uring first: a loop submits its reads and writes in one system call and takes their completions from
 * a ring shared with the kernel, where epoll costs a system call for each; at 50 connections on two cores that is
 * the CPU per request that kept the proxy behind nginx with epoll (BENCHMARKS.md, section 5).
 */
enum Transport {
  IO_URING("io_uring"),
  EPOLL("epoll"),
  NIO("nio");

  /** The system property that picks a transport. */
  static final String PROPERTY = "dyups.transport";

  /** The name {@code -Ddyups.transport} takes and the start-up notice prints. */
  final String label;

  Transport(String label) {
    this.label = label;
  }

  /** The transport {@code -Ddyups.transport} names, or without it the best this machine runs. */
  static Transport chosen() throws IOException {
    return named(System.getProperty(PROPERTY));
  }

  /**
   * The transport called {@code name} (case ignored), or the best available when {@code name} is null or empty.
   *
   * @throws IOException when the name is none of io_uring, epoll, nio, or names a transport that cannot run here
   */
  static Transport named(@Nullable String name) throws IOException {
    if (name == null || name.isEmpty()) {
      if (IoUring.isAvailable()) {
        return IO_URING;
      }
      return Epoll.isAvailable() ? EPOLL : NIO;
    }
    for (Transport transport : values()) {
      if (transport.label.equalsIgnoreCase(name)) {
        Throwable cause = transport.unavailabilityCause();
        if (cause != null) {
          throw new IOException("-D" + PROPERTY + "=" + name + ": the " + transport.label
              + " transport is not available here (" + cause + ")", cause);
        }
        return transport;
      }
    }
    throw new IOException("-D" + PROPERTY + "=" + name + ": unknown transport, expected one of "
        + Arrays.stream(values()).map(t -> t.label).collect(Collectors.joining(", ")));
  }

  /** Why this transport cannot run here, or null when it can. */
  private @Nullable Throwable unavailabilityCause() {
    return switch (this) {
      case IO_URING -> IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
      case EPOLL -> Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
      case NIO -> null;
    };
  }

  /** Whether a listening socket can take SO_REUSEPORT (the native transports; NIO does not offer it). */
  boolean reusePort() {
    return this != NIO;
  }

  /** A group of {@code threads} event loops whose threads are called {@code name-N}. */
  EventLoopGroup group(int threads, String name) {
    IoHandlerFactory factory = switch (this) {
      case IO_URING -> IoUringIoHandler.newFactory();
      case EPOLL -> EpollIoHandler.newFactory();
      case NIO -> NioIoHandler.newFactory();
    };
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
  }

  Class<? extends ServerChannel> serverChannel() {
    return switch (this) {
      case IO_URING -> IoUringServerSocketChannel.class;
      case EPOLL -> EpollServerSocketChannel.class;
      case NIO -> NioServerSocketChannel.class;
    };
  }

  /**
   * Sends {@code channel}'s FIN and leaves it open for reading: shutdown(SHUT_WR), as nginx's lingering close
   * ({@code ngx_http_set_lingering_close}) does. Called on the channel's loop, once its last write is done.
   *
   * <p>Netty's {@link DuplexChannel#shutdownOutput()} makes a {@code ChannelOutputShutdownException}, stack trace and
   * all, to fail the writes still queued, and then fires an event down the pipeline; on io_uring that was 3.6% of the
   * loop's CPU when every request renewed its client connection (BENCHMARKS.md section 5, session of 2026-12-02,
   * fifth). With nothing queued there is nothing to fail and no handler of the proxy's pipelines waits for the event,
   * so on io_uring and epoll the socket is shut down directly: the same system call, and the socket records it where
   * {@link DuplexChannel#isOutputShutdown()} reads it. Anything else (NIO, writes still queued) goes through Netty.
   */
  static void shutdownOutput(DuplexChannel channel) {
    ChannelOutboundBuffer queued = channel.unsafe().outboundBuffer();
    if (channel instanceof UnixChannel unix && unix.fd() instanceof Socket socket && queued != null
        && queued.isEmpty()) {
      try {
        socket.shutdown(false, true);
      } catch (IOException e) {
        // As when Netty's call fails (its promise, which no one waits for, takes the error): the read that follows,
        // or the lingering close's deadline, ends the connection.
      }
      return;
    }
    channel.shutdownOutput();
  }

  /** A new, unregistered client socket channel. */
  Channel newSocket() {
    return switch (this) {
      case IO_URING -> new IoUringSocketChannel();
      case EPOLL -> new EpollSocketChannel();
      case NIO -> new NioSocketChannel();
    };
  }
}
