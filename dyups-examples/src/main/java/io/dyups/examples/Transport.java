package io.dyups.examples;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The I/O transport: Linux's epoll through Netty's native library where it loads, Java's NIO selector elsewhere.
 * {@code -Ddyups.transport=nio} forces NIO (to compare the two, or to rule the native library out).
 */
enum Transport {
  EPOLL,
  NIO;

  static Transport best() {
    if (!"nio".equalsIgnoreCase(System.getProperty("dyups.transport")) && Epoll.isAvailable()) {
      return EPOLL;
    }
    return NIO;
  }

  /** A group of {@code threads} event loops whose threads are called {@code name-N}. */
  EventLoopGroup group(int threads, String name) {
    IoHandlerFactory factory = this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
  }

  Class<? extends ServerChannel> serverChannel() {
    return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** A new, unregistered client socket channel. */
  Channel newSocket() {
    return this == EPOLL ? new EpollSocketChannel() : new NioSocketChannel();
  }
}
