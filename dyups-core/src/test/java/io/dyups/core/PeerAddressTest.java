package io.dyups.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.parser.UpstreamBlock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A peer of a server written as an address makes its socket address from the address when first asked
 * ({@link Peer#socketAddress()}): the same value as one made when the peer is built, the same object each time,
 * and an update that keeps the server line keeps the peer's state.
 */
class PeerAddressTest {
  private final FakeTicker ticker = new FakeTicker();

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "10.0.0.1:8080 | 10.0.0.1:8080",
      "10.0.0.1      | 10.0.0.1:80",
      "[::1]:81      | [::1]:81",
      "[2001:DB8::1] | [2001:db8::1]:80",
  })
  void anAddressIsMadeFromTheServerAsWritten(String server, String name) throws UnknownHostException {
    Peer peer = onlyPeer("server " + server + ";");

    SocketAddress address = peer.socketAddress();

    InetSocketAddress inet = (InetSocketAddress) address;
    String host = name.substring(0, name.lastIndexOf(':')).replace("[", "").replace("]", "");
    assertThat(inet.getAddress()).isEqualTo(InetAddress.getByName(host));
    assertThat(inet.getPort()).isEqualTo(Integer.parseInt(name.substring(name.lastIndexOf(':') + 1)));
    assertThat(inet.isUnresolved()).isFalse();
    assertThat(peer.socketAddress()).isSameAs(address);
    assertThat(peer).hasToString(name);
    assertThat(peer.endpoint()).isEqualTo(new Endpoint(peer.spec(), address, null, false));
  }

  @Test
  void aUnixSocketIsMadeFromItsPath() {
    Peer peer = onlyPeer("server unix:/tmp/backend.sock;");

    assertThat(peer.socketAddress()).isEqualTo(UnixDomainSocketAddress.of("/tmp/backend.sock"));
    assertThat(peer.socketAddress()).isSameAs(peer.socketAddress());
    assertThat(peer).hasToString("unix:/tmp/backend.sock");
  }

  @Test
  void anUpdateThatKeepsTheServerLineKeepsItsState() {
    PeerGroup first = PeerGroup.create(UpstreamBlock.fromCommands("u", "server 10.0.0.1:80; server 10.0.0.2:80;"),
        null, ticker, 1);
    Peer kept = first.asList().get(0);
    kept.setHealthy(false);

    PeerGroup second = PeerGroup.create(
        UpstreamBlock.fromCommands("u", "server 10.0.0.1:80; server 10.0.0.3:80;"), first, ticker, 1);

    List<Peer> peers = second.asList();
    assertThat(peers.get(0).state).isSameAs(kept.state);
    assertThat(peers.get(0).isHealthy()).isFalse();
    assertThat(peers.get(1).state).isNotSameAs(first.asList().get(1).state);
    assertThat(peers.get(1).isHealthy()).isTrue();
  }

  @Test
  void aPeerBuiltFromItsDefinitionReadsItsLineFromThereWithTheLinesFlags() {
    UpstreamBlock definition = UpstreamBlock.fromCommands("u",
        "server 10.0.0.1:80 weight=3; server 10.0.0.2:80 down; server 10.0.0.3:80 backup; server 10.0.0.4 drain;");

    List<Peer> peers = PeerGroup.create(definition, HostTable.Plan.WRITTEN, null, ticker, 1).asList();

    assertThat(peers).extracting(Peer::spec).containsExactlyElementsOf(definition.servers());
    assertThat(peers).extracting(Peer::isDown).containsExactly(false, true, false, false);
    assertThat(peers).extracting(Peer::isBackup).containsExactly(false, false, true, false);
    assertThat(peers).extracting(Peer::state)
        .containsExactly(Peer.State.UP, Peer.State.DOWN, Peer.State.UP, Peer.State.DRAINING);
    assertThat(peers.get(0).weight).isEqualTo(3);
    assertThat(peers.get(3).isAvailable()).isFalse();
    assertThat(peers.get(0).isAvailable()).isTrue();
  }

  private Peer onlyPeer(String commands) {
    return PeerGroup.create(UpstreamBlock.fromCommands("u", commands), null, ticker, 1).asList().get(0);
  }
}
