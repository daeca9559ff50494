package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven through its chromedriver by Selenium, against
 * a real admin server. One browser for the class; each test gets its own registry and server (and so its own
 * origin and session storage). Every wait is for a condition on the page, never a fixed time.
 *
 * <p>Needs {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} (Debian's {@code chromium} and {@code
 * chromium-driver}, which {@code .ci/run} installs); without them the class is skipped and says so.
 */
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SEED = Path.of("../dyups-examples/conf/conf/upstream.conf");
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir static Path profile;
  private static ChromeDriverService service;
  private static WebDriver browser;

  private final HttpClient client = HttpClient.newHttpClient();
  private UpstreamRegistry registry;
  private AdminServer server;

  @BeforeAll
  static void startBrowser() {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!present) {
      System.err.println("DashboardBrowserTest: the Chromium suite was not run: " + CHROMIUM + " or " + CHROMEDRIVER
          + " is missing (Debian's chromium and chromium-driver; .ci/run installs them)");
    }
    Assumptions.assumeTrue(present, "Chromium and chromedriver are not installed");
    service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
        .withLogFile(new File(profile.toFile(), "chromedriver.log")).build();
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile());
    // The machine has no network but loopback: nothing that would reach out (updates, sync, QUIC) is started.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + profile.resolve("profile"));
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stopBrowser() {
    if (browser != null) {
      browser.quit();
    }
    if (service != null) {
      service.stop();
    }
  }

  private void start(AdminHandler.Builder handler) {
    server = AdminServer.builder(handler.build()).port(0).start();
  }

  private void startWithSeed() {
    registry = UpstreamRegistry.builder().load(SEED).build();
    start(AdminHandler.builder(registry));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
    }
    if (registry != null) {
      registry.close();
    }
  }

  private String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path)))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  // A card is rebuilt when its upstream's servers change, so an element found a moment ago may be gone: waits
  // look again.
  private WebDriverWait waiting() {
    WebDriverWait wait = new WebDriverWait(browser, PATIENCE);
    wait.ignoring(StaleElementReferenceException.class);
    return wait;
  }

  private void open() {
    browser.get(url("/dashboard"));
  }

  private WebElement card(String name) {
    return waiting().until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("section.upstream[data-upstream='" + name + "']")));
  }

  private WebElement row(String upstream, String server) {
    return waiting().until(d -> card(upstream).findElement(By.cssSelector("tr[data-server='" + server + "']")));
  }

  private String stateOf(String upstream, String server) {
    return cell(upstream, server, ".state");
  }

  private String stateClass(String upstream, String server) {
    return waiting().until(d -> row(upstream, server).findElement(By.cssSelector(".state")).getAttribute("class"));
  }

  /** The text of a cell of a server's row, read in one go (a rebuilt row is looked up again). */
  private String cell(String upstream, String server, String css) {
    return waiting().until(d -> row(upstream, server).findElement(By.cssSelector(css)).getText());
  }

  private void click(String upstream, String server, String action) {
    clickWhenEnabled(() -> row(upstream, server).findElement(By.cssSelector("button[data-action='" + action + "']")));
  }

  /** Clicks one of an upstream's own buttons (add, edit, delete). */
  private void click(String upstream, String action) {
    clickWhenEnabled(() -> card(upstream).findElement(By.cssSelector("button[data-action='" + action + "']")));
  }

  private void clickWhenEnabled(java.util.function.Supplier<WebElement> button) {
    waiting().until(d -> {
      WebElement found = button.get();
      if (!found.isDisplayed() || !found.isEnabled()) {
        return false;
      }
      found.click();
      return true;
    });
  }

  private WebElement dialog() {
    return waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("dialog")));
  }

  private void confirm() {
    dialog().findElement(By.id("dialog-confirm")).click();
  }

  private String message() {
    return browser.findElement(By.id("message")).getText();
  }

  private void waitForMessage(String part) {
    waiting().until(d -> message().contains(part));
  }

  @Test
  void thePageShowsTheSeedsUpstreamsWithTheirMethodAndServerStates() {
    startWithSeed();
    open();

    assertThat(card("host1").findElement(By.cssSelector(".method")).getText()).isEqualTo("round_robin");
    assertThat(stateOf("host1", "127.0.0.1:8088")).isEqualTo("up");
    assertThat(stateClass("host1", "127.0.0.1:8088")).contains("state-up");
    assertThat(stateOf("host2", "127.0.0.1:8089")).isEqualTo("up");
    assertThat(browser.findElement(By.id("summary")).getText()).startsWith("2 upstreams, 2 servers: 2 up");
  }

  @Test
  void anUpstreamPostedWithHttpAppearsWithoutAReload() throws Exception {
    startWithSeed();
    open();
    card("host1");
    ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");

    assertThat(send("POST", "/upstream/dyhost", "least_conn;server 127.0.0.1:8090;server 127.0.0.1:8091 weight=3;")
        .statusCode()).isEqualTo(200);

    assertThat(card("dyhost").findElement(By.cssSelector(".method")).getText()).isEqualTo("least_conn");
    assertThat(cell("dyhost", "127.0.0.1:8091", ".weight")).isEqualTo("3");
    assertThat(((JavascriptExecutor) browser).executeScript("return window.notReloaded === true;")).isEqualTo(true);
  }

  @Test
  void markingAServerDownThroughThePageChangesTheNextPicks() {
    registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("backend", "server 127.0.0.1:8088; server 127.0.0.1:8089;");
    start(AdminHandler.builder(registry));
    assertThat(picks("backend", 10)).containsExactlyInAnyOrder("127.0.0.1:8088", "127.0.0.1:8089");
    open();

    click("backend", "127.0.0.1:8088", "down");
    assertThat(dialog().findElement(By.id("dialog-text")).getText())
        .isEqualTo("127.0.0.1:8088 in backend gets no requests from now on.");
    confirm();

    waitForMessage("127.0.0.1:8088 in backend is down.");
    assertThat(picks("backend", 10)).containsExactly("127.0.0.1:8089");
    waiting().until(d -> stateOf("backend", "127.0.0.1:8088").equals("down"));
    assertThat(stateClass("backend", "127.0.0.1:8088")).contains("state-down");

    click("backend", "127.0.0.1:8088", "up");
    confirm();
    waitForMessage("127.0.0.1:8088 in backend is up.");
    assertThat(picks("backend", 10)).containsExactlyInAnyOrder("127.0.0.1:8088", "127.0.0.1:8089");
  }

  /** The distinct peers that {@code count} picks choose, each settled as a success. */
  private Set<String> picks(String name, int count) {
    Upstream upstream = Objects.requireNonNull(registry.find(name), name);
    Set<String> chosen = new HashSet<>();
    for (int i = 0; i < count; i++) {
      PeerSelection selection = new PeerSelection().start(upstream.peers(), null, (CharSequence) null);
      Peer peer = selection.next();
      if (peer != null) {
        chosen.add(peer.toString());
        selection.succeeded();
      }
    }
    return chosen;
  }

  @Test
  void cancellingTheConfirmationChangesNothing() {
    registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("backend", "server 127.0.0.1:8088; server 127.0.0.1:8089;");
    start(AdminHandler.builder(registry));
    long version = Objects.requireNonNull(registry.find("backend")).version();
    open();

    click("backend", "127.0.0.1:8088", "remove");
    dialog().findElement(By.id("dialog-cancel")).click();

    waiting().until(ExpectedConditions.invisibilityOfElementLocated(By.id("dialog")));
    assertThat(Objects.requireNonNull(registry.find("backend")).version()).isEqualTo(version);
  }

  @Test
  void drainWeightAddAndRemoveGoThroughThePlusApi() {
    registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("backend", "server 127.0.0.1:8088; server 127.0.0.1:8089;");
    start(AdminHandler.builder(registry));
    open();

    click("backend", "127.0.0.1:8089", "drain");
    confirm();
    waiting().until(d -> stateOf("backend", "127.0.0.1:8089").equals("draining"));

    click("backend", "127.0.0.1:8088", "weight");
    WebElement weight = dialog().findElement(By.cssSelector("input[type=number]"));
    weight.clear();
    weight.sendKeys("7");
    confirm();
    waiting().until(d -> cell("backend", "127.0.0.1:8088", ".weight").equals("7"));

    click("backend", "add");
    dialog().findElement(By.cssSelector("input[type=text]")).sendKeys("127.0.0.1:8090");
    confirm();
    row("backend", "127.0.0.1:8090");

    click("backend", "127.0.0.1:8088", "remove");
    confirm();
    waiting().until(d -> card("backend").findElements(By.cssSelector("tr[data-server='127.0.0.1:8088']")).isEmpty());

    assertThat(Objects.requireNonNull(registry.find("backend")).definition().toCommands())
        .isEqualTo("server 127.0.0.1:8089 drain;\nserver 127.0.0.1:8090;\n");
  }

  @Test
  void aSyntaxErrorInTheEditorIsShownAtItsLineAndColumn() {
    startWithSeed();
    open();
    click("host1", "edit");
    WebElement editor = waiting().until(d -> dialog().findElement(By.cssSelector("textarea")));
    waiting().until(d -> editor.getAttribute("value").equals("server 127.0.0.1:8088;\n"));

    editor.sendKeys("server 127.0.0.1:8090 weight=x;");
    confirm();

    WebElement error = browser.findElement(By.id("dialog-error"));
    waiting().until(d -> !error.getText().isEmpty());
    assertThat(error.getText()).isEqualTo("Line 2, column 23: invalid parameter \"weight=x\" in commands:2:23");
    assertThat(dialog().findElement(By.cssSelector(".gutter .error-line")).getText()).isEqualTo("2");
    // The caret is put where the error is: line 2 starts at offset 23, column 23 is 22 characters into it.
    assertThat(((JavascriptExecutor) browser).executeScript("return arguments[0].selectionStart;", editor))
        .isEqualTo(23L + 22L);
    assertThat(Objects.requireNonNull(registry.find("host1")).definition().toCommands())
        .isEqualTo("server 127.0.0.1:8088;\n");
  }

  @Test
  void theEditorReplacesTheCommands() {
    startWithSeed();
    open();
    click("host1", "edit");
    WebElement editor = waiting().until(d -> dialog().findElement(By.cssSelector("textarea")));
    waiting().until(d -> !editor.getAttribute("value").isEmpty());

    editor.sendKeys("server 127.0.0.1:8090 weight=2;");
    confirm();

    waitForMessage("host1 is updated.");
    assertThat(Objects.requireNonNull(registry.find("host1")).definition().toCommands())
        .isEqualTo("server 127.0.0.1:8088;\nserver 127.0.0.1:8090 weight=2;\n");
    row("host1", "127.0.0.1:8090");
  }

  @Test
  void aConflictingChangeIsRefusedAndThePageSaysWhatChangedMeanwhile() throws Exception {
    registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("backend", "server 127.0.0.1:8088; server 127.0.0.1:8089;");
    start(AdminHandler.builder(registry));
    open();
    click("backend", "127.0.0.1:8088", "down");
    dialog();

    long seen = Objects.requireNonNull(registry.find("backend")).version();
    int other = Objects.requireNonNull(registry.find("backend")).servers().get(1).id();

    // Another operator, between this one's look and confirmation.
    assertThat(send("PATCH", "/api/9/http/upstreams/backend/servers/" + other, "{\"weight\":5}").statusCode())
        .isEqualTo(200);
    long now = Objects.requireNonNull(registry.find("backend")).version();
    confirm();

    waitForMessage("changed meanwhile");
    assertThat(message()).startsWith("Not applied: backend changed meanwhile (version " + seen + " → " + now + ").")
        .contains("server 127.0.0.1:8089: weight 1 → 5");
    Upstream backend = Objects.requireNonNull(registry.find("backend"));
    assertThat(backend.definition().toCommands()).isEqualTo("server 127.0.0.1:8088;\nserver 127.0.0.1:8089 weight=5;\n");
  }

  @Test
  void aConflictingEditKeepsTheOperatorsTextAndSaysWhatChanged() throws Exception {
    startWithSeed();
    open();
    click("host1", "edit");
    WebElement editor = waiting().until(d -> dialog().findElement(By.cssSelector("textarea")));
    waiting().until(d -> !editor.getAttribute("value").isEmpty());
    editor.sendKeys("server 127.0.0.1:8090;");
    long seen = Objects.requireNonNull(registry.find("host1")).version();

    assertThat(send("POST", "/upstream/host1", "server 127.0.0.1:9000;").statusCode()).isEqualTo(200);
    long now = Objects.requireNonNull(registry.find("host1")).version();
    confirm();

    WebElement error = browser.findElement(By.id("dialog-error"));
    waiting().until(d -> error.getText().contains("changed meanwhile"));
    assertThat(error.getText()).contains("Not applied: host1 changed meanwhile (version " + seen + " → " + now + ")")
        .contains("- server 127.0.0.1:8088;").contains("+ server 127.0.0.1:9000;");
    assertThat(editor.getAttribute("value")).isEqualTo("server 127.0.0.1:8088;\nserver 127.0.0.1:8090;");
    assertThat(Objects.requireNonNull(registry.find("host1")).definition().toCommands())
        .isEqualTo("server 127.0.0.1:9000;\n");
  }

  @Test
  void deletingAnUpstreamThroughThePageRemovesIt() {
    startWithSeed();
    open();
    long version = Objects.requireNonNull(registry.find("host2")).version();
    click("host2", "delete");
    assertThat(dialog().findElement(By.id("dialog-text")).getText())
        .contains("host2 (version " + version + ") and its 1 servers");
    confirm();

    waitForMessage("host2 is deleted.");
    assertThat(registry.find("host2")).isNull();
    waiting().until(d -> d.findElements(By.cssSelector("section.upstream[data-upstream='host2']")).isEmpty());
  }

  @Test
  void theTokenIsAskedForAndKeptInSessionStorage() {
    registry = UpstreamRegistry.builder().load(SEED).build();
    start(AdminHandler.builder(registry).bearerToken("s3cret"));
    open();

    WebElement token = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    assertThat(browser.findElement(By.id("main")).isDisplayed()).isFalse();
    token.sendKeys("wrong");
    token.submit();
    waiting().until(d -> d.findElement(By.id("token-error")).getText().equals("The token was refused."));

    browser.findElement(By.id("token")).sendKeys("s3cret");
    browser.findElement(By.id("token")).submit();
    card("host1");
    assertThat(((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('dyups.token');"))
        .isEqualTo("s3cret");

    browser.navigate().refresh();
    card("host1");
    assertThat(browser.findElement(By.id("token-panel")).isDisplayed()).isFalse();
  }

  @Test
  void searchFindsOneUpstreamAmongThousandsAndOnlyAPageIsRendered() {
    registry = UpstreamRegistry.builder().build();
    for (int i = 0; i < 3000; i++) {
      registry.updateUpstream("u" + i, "server 127.0.0.1:" + (10000 + i) + ";");
    }
    start(AdminHandler.builder(registry));
    open();
    card("u0");
    assertThat(browser.findElements(By.cssSelector("section.upstream"))).hasSize(25);
    assertThat(browser.findElement(By.id("range")).getText()).isEqualTo("Upstreams 1–25 of 3000");

    browser.findElement(By.id("search")).sendKeys("u2999");
    card("u2999");
    waiting().until(d -> d.findElements(By.cssSelector("section.upstream")).size() == 1);
    assertThat(browser.findElement(By.id("range")).getText()).isEqualTo("Upstreams 1–1 of 1");
  }

  @Test
  void thePageMakesNoRequestOutsideTheAdminServer() {
    startWithSeed();
    open();
    card("host1");
    @SuppressWarnings("unchecked")
    List<String> resources = (List<String>) ((JavascriptExecutor) browser).executeScript(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);");
    assertThat(resources).isNotEmpty().allSatisfy(u -> assertThat(u).startsWith(url("/")));
  }

  @Test
  void aScreenshotOfThePageWithAFewUpstreams() throws Exception {
    registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("api", "least_conn; server 10.0.0.1:8080 weight=3; server 10.0.0.2:8080;"
        + " server 10.0.0.3:8080 down; server 10.0.0.4:8080 backup;");
    registry.updateUpstream("static", "server 10.0.1.1:80; server 10.0.1.2:80 drain;");
    registry.updateUpstream("sessions", "hash $cookie_sid consistent; server 10.0.2.1:9000; server 10.0.2.2:9000;");
    start(AdminHandler.builder(registry));
    browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 640));
    open();
    waiting().until(d -> stateOf("static", "10.0.1.2:80").equals("draining"));

    byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
    Path target = Path.of("target", "dashboard.png");
    Files.write(target, png);
    assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
  }
}
