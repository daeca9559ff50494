package io.dyups.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.dyups.core.HealthChecker;
import io.dyups.core.Peer;
import io.dyups.core.PeerSelection;
import io.dyups.core.Upstream;
import io.dyups.core.UpstreamRegistry;
import io.dyups.zookeeper.ZooKeeperStore;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.test.TestingServer;
import org.htmlunit.BrowserVersion;
import org.htmlunit.ScriptException;
import org.htmlunit.SilentCssErrorHandler;
import org.htmlunit.WebClient;
import org.htmlunit.WebRequest;
import org.htmlunit.WebResponse;
import org.htmlunit.html.HtmlPage;
import org.htmlunit.javascript.SilentJavaScriptErrorListener;
import org.htmlunit.util.WebConnectionWrapper;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.htmlunit.HtmlUnitDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven through its chromedriver by Selenium, against
 * a real admin server. One browser for the class; each test gets its own registry and server (and so its own
 * origin and session storage). Every wait is for a condition on the page, never a fixed time.
 *
 * <p>Where {@code /usr/bin/chromium} or {@code /usr/bin/chromedriver} is missing (Debian's {@code chromium} and
 * {@code chromium-driver}, which {@code .ci/run} installs), the same tests run in HtmlUnit and one line on the
 * build's console says that the Chromium suite was not run. {@code -Ddyups.dashboard.browser=htmlunit} runs them in
 * HtmlUnit as if Chromium were missing; {@code =chromium} fails instead of falling back. A Chromium that is installed
 * but does not start fails the tests: only a missing one is replaced.
 */
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final String BROWSER_PROPERTY = "dyups.dashboard.browser";
  private static final Path SEED = Path.of("../dyups-examples/conf/conf/upstream.conf");
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir static Path profile;
  private static @Nullable ChromeDriverService service;
  private static WebDriver browser;
  // HtmlUnit only: every URL the browser asked for, and the errors its scripts threw.
  private static final List<URL> requested = new CopyOnWriteArrayList<>();
  private static final List<String> scriptErrors = new CopyOnWriteArrayList<>();

  private final HttpClient client = HttpClient.newHttpClient();
  private UpstreamRegistry registry;
  private AdminServer server;
  private @Nullable TestingServer zookeeper;

  @BeforeAll
  static void startBrowser() {
    String wanted = System.getProperty(BROWSER_PROPERTY, "auto");
    assertThat(wanted).as(BROWSER_PROPERTY).isIn("auto", "chromium", "htmlunit");
    String missing = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER) ? null
        : (Files.isExecutable(CHROMIUM) ? CHROMEDRIVER : CHROMIUM) + " is missing";
    if (wanted.equals("chromium") && missing != null) {
      throw new IllegalStateException("-D" + BROWSER_PROPERTY + "=chromium, but " + missing);
    }
    if (wanted.equals("htmlunit") || missing != null) {
      console("DashboardBrowserTest: the Chromium suite was not run (" + (missing != null ? missing
          + "; Debian's chromium and chromium-driver, which .ci/run installs" : "-D" + BROWSER_PROPERTY + "=htmlunit")
          + "); the page tests ran in HtmlUnit");
      browser = htmlUnit();
      return;
    }
    service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
        .withLogFile(new File(profile.toFile(), "chromedriver.log")).build();
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile());
    // The machine has no network but loopback: nothing that would reach out (updates, sync, QUIC) is started.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + profile.resolve("profile"));
    browser = new ChromeDriver(service, options);
  }

  /**
   * Writes a line on the build's console: the test's own output goes to its report file (the parent POM's
   * redirectTestOutputToFile), but Surefire prints what a forked JVM writes to its native standard error.
   */
  private static void console(String line) {
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    err.println(line);
  }

  /**
   * HtmlUnit as a Chrome, with the fetch API (a polyfill over its XMLHttpRequest, off by default), the requests it
   * makes recorded, and every script error kept: a page whose script failed fails its test ({@link #stop}).
   */
  private static WebDriver htmlUnit() {
    HtmlUnitDriver driver = new HtmlUnitDriver(BrowserVersion.CHROME, true) {
      @Override
      protected WebClient modifyWebClient(WebClient web) {
        web.getOptions().setFetchPolyfillEnabled(true);
        web.setCssErrorHandler(new SilentCssErrorHandler());
        web.setJavaScriptErrorListener(new SilentJavaScriptErrorListener() {
          @Override
          public void scriptException(HtmlPage page, ScriptException error) {
            scriptErrors.add(error.getMessage());
          }
        });
        new WebConnectionWrapper(web) {
          @Override
          public WebResponse getResponse(WebRequest request) throws IOException {
            requested.add(request.getUrl());
            return super.getResponse(request);
          }
        };
        return web;
      }
    };
    driver.manage().window().setSize(new Dimension(1280, 900));
    return driver;
  }

  private static boolean chromium() {
    return browser instanceof ChromeDriver;
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
  void stop() throws IOException {
    if (server != null) {
      server.stop();
    }
    if (registry != null) {
      registry.close();
    }
    if (zookeeper != null) {
      zookeeper.close();
    }
    List<String> errors = List.copyOf(scriptErrors);
    scriptErrors.clear();
    assertThat(errors).as("the page's script errors").isEmpty();
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
    wait.withMessage(DashboardBrowserTest::pageState);
    return wait;
  }

  /**
   * What the page shows when a wait gives up, for the failure's message: when it last refreshed (a poll stuck on an
   * answer that never came shows an old time), the message line, whether a dialog is open, and the cards.
   */
  private static String pageState() {
    try {
      Object state = ((JavascriptExecutor) browser).executeScript(
          "const text = (id) => { const e = document.getElementById(id); return e ? e.textContent : '(none)'; };"
              + "const cards = Array.from(document.querySelectorAll('section.upstream')).map((c) => c.outerHTML);"
              + "return 'page time ' + new Date().toLocaleTimeString() + '; ' + text('updated') + '; message: '"
              + " + text('message') + '; dialog open: ' + document.getElementById('dialog').open"
              + " + '; dialog error: ' + text('dialog-error') + '; cards:\\n' + cards.join('\\n');");
      return "the page: " + state;
    } catch (RuntimeException e) {
      return "the page's state could not be read: " + e;
    }
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

  /** Waits until an upstream's card shows the version the registry has now. */
  private void showsCurrentVersion(String upstream) {
    String current = "version " + Objects.requireNonNull(registry.find(upstream)).version();
    waiting().until(d -> card(upstream).findElement(By.cssSelector(".tag.version")).getText().equals(current));
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
    // A single instance has no cluster store (GET /status is not found): no cluster panel.
    assertThat(browser.findElement(By.id("cluster")).isDisplayed()).isFalse();
  }

  @Test
  void everyControlHasAnAccessibleNameAndAStateIsWrittenNotOnlyColoured() {
    startWithSeed();
    open();
    card("host1");

    @SuppressWarnings("unchecked")
    List<String> unnamed = (List<String>) ((JavascriptExecutor) browser).executeScript(
        "return [...document.querySelectorAll('button, input, textarea, select')]"
            + ".filter(e => !(e.getAttribute('aria-label') || (e.labels && e.labels.length) || e.textContent.trim()))"
            + ".map(e => e.outerHTML);");
    assertThat(unnamed).isEmpty();
    assertThat(row("host1", "127.0.0.1:8088").findElement(By.cssSelector("button[data-action='down']"))
        .getAttribute("aria-label")).isEqualTo("Down 127.0.0.1:8088 in host1");
    assertThat(stateOf("host1", "127.0.0.1:8088")).isEqualTo("up");
  }

  @Test
  void theConfirmationTakesTheFocusAndEscapeCancelsIt() {
    startWithSeed();
    open();
    long version = Objects.requireNonNull(registry.find("host1")).version();
    click("host1", "127.0.0.1:8088", "down");
    dialog();

    WebElement focused = browser.switchTo().activeElement();
    assertThat(focused.getAttribute("id")).isEqualTo("dialog-confirm");
    focused.sendKeys(Keys.ESCAPE);

    waiting().until(ExpectedConditions.invisibilityOfElementLocated(By.id("dialog")));
    assertThat(Objects.requireNonNull(registry.find("host1")).version()).isEqualTo(version);
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
    showsCurrentVersion("backend");

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
    // Each action sends the version the page shows; a poll may show the drain's peers with the listing read before
    // it (see the add below), so every step waits for the page to show the version its change made.
    showsCurrentVersion("backend");

    click("backend", "127.0.0.1:8088", "weight");
    WebElement weight = dialog().findElement(By.cssSelector("input[type=number]"));
    weight.clear();
    weight.sendKeys("7");
    confirm();
    waiting().until(d -> cell("backend", "127.0.0.1:8088", ".weight").equals("7"));
    showsCurrentVersion("backend");

    click("backend", "add");
    dialog().findElement(By.cssSelector("input[type=text]")).sendKeys("127.0.0.1:8090");
    confirm();
    row("backend", "127.0.0.1:8090");
    showsCurrentVersion("backend");

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
    // The range is written before the cards are put in: it says the page holds 25 of them, and they all come.
    waiting().until(d -> d.findElement(By.id("range")).getText().equals("Upstreams 1–25 of 3000"));
    waiting().until(d -> d.findElements(By.cssSelector("section.upstream")).size() == 25);

    browser.findElement(By.id("search")).sendKeys("u2999");
    card("u2999");
    waiting().until(d -> d.findElements(By.cssSelector("section.upstream")).size() == 1);
    assertThat(browser.findElement(By.id("range")).getText()).isEqualTo("Upstreams 1–1 of 1");
  }

  @Test
  void thePageMakesNoRequestOutsideTheAdminServer() {
    requested.clear();
    startWithSeed();
    open();
    card("host1");
    assertThat(requestedUrls()).anySatisfy(u -> assertThat(u).endsWith("/dashboard/dashboard.js"))
        .anySatisfy(u -> assertThat(u).contains("/detail?format=json"))
        .allSatisfy(u -> assertThat(u).startsWith(url("/")));
  }

  /** What the page has loaded: Chromium's resource timing entries, or what HtmlUnit was asked for. */
  private List<String> requestedUrls() {
    if (!chromium()) {
      return requested.stream().map(URL::toString).toList();
    }
    @SuppressWarnings("unchecked")
    List<String> resources = (List<String>) ((JavascriptExecutor) browser).executeScript(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);");
    return resources;
  }

  /** Reports {@code count} requests to {@code name}'s peers, each answered 200 after 3 ms, as a proxy does. */
  private void traffic(String name, int count) {
    Upstream upstream = Objects.requireNonNull(registry.find(name), name);
    for (int i = 0; i < count; i++) {
      PeerSelection selection = new PeerSelection().start(upstream.peers(), null, (CharSequence) null);
      if (selection.next() != null) {
        selection.succeeded(200, 1_000_000L, 3_000_000L, 0, 0);
      }
    }
  }

  private boolean rateDrawn(String name) {
    WebElement card = card(name);
    return card.findElement(By.cssSelector(".rate")).getText().matches("\\d+\\.\\d req/s")
        && !card.findElement(By.cssSelector(".spark polyline")).getAttribute("points").isEmpty();
  }

  @Test
  void theRegistrysPerServerStatisticsAreShownAndTheSparklineDrawsRequestsPerSecond() {
    registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("backend", "server 127.0.0.1:8088;");
    start(AdminHandler.builder(registry));
    open();

    // Requests keep coming between the page's refreshes: ten more before each look at the page.
    waiting().until(d -> {
      traffic("backend", 10);
      return rateDrawn("backend");
    });
    double rate = Double.parseDouble(card("backend").findElement(By.cssSelector(".rate")).getText().split(" ")[0]);
    assertThat(rate).isPositive();
    assertThat(card("backend").findElement(By.cssSelector(".spark")).getAttribute("aria-label"))
        .startsWith("requests per second over the last minutes, now ");
    assertThat(Long.parseLong(cell("backend", "127.0.0.1:8088", ".requests").replace(",", ""))).isPositive();
    assertThat(cell("backend", "127.0.0.1:8088", ".responses")).matches("0/[\\d,]+/0/0/0");
    assertThat(cell("backend", "127.0.0.1:8088", ".fails")).isEqualTo("0");
    assertThat(cell("backend", "127.0.0.1:8088", ".time")).isEqualTo("3 ms");
  }

  @Test
  void activeHealthChecksAreShownWithTheirFiguresAndAFailingServerIsUnhealthy() throws Exception {
    registry = UpstreamRegistry.builder().build();
    start(AdminHandler.builder(registry));
    // The admin server itself is the server that answers; a port just closed is the one that does not.
    String answering = "127.0.0.1:" + server.port();
    String closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = "127.0.0.1:" + socket.getLocalPort();
    }
    registry.updateUpstream("checked", "server " + answering + "; server " + closed + ";"
        + " check interval=100 rise=1 fall=1 timeout=1000 type=tcp;");
    HealthChecker checker = HealthChecker.builder(registry).tick(Duration.ofMillis(20)).start();
    try {
      open();
      waiting().until(d -> cell("checked", answering, ".checks").matches("[1-9][\\d,]*, 0 failed, last passed"));
      waiting().until(d -> cell("checked", closed, ".checks").matches("([1-9][\\d,]*), \\1 failed, last failed"));
      waiting().until(d -> stateOf("checked", closed).equals("unhealthy"));
      assertThat(stateClass("checked", closed)).contains("state-unhealthy");
      assertThat(stateOf("checked", answering)).isEqualTo("up");
    } finally {
      checker.close();
    }
  }

  @Test
  void theClusterPanelShowsARealZooKeeperStoreAndItsLostConnection() throws Exception {
    TestingServer zk = new TestingServer(true);
    zookeeper = zk;
    String root = "/dashboard/upstreams";
    registry = UpstreamRegistry.builder().store(ZooKeeperStore.builder(zk.getConnectString()).root(root).build())
        .build();
    long version = registry.updateUpstream("backend", "server 127.0.0.1:8088;").version();
    start(AdminHandler.builder(registry));
    open();

    WebElement cluster = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("cluster")));
    waiting().until(d -> clusterState().equals("zookeeper connected"));
    assertThat(cluster.findElement(By.id("cluster-state")).getAttribute("class")).contains("ok");
    assertThat(clusterDetail()).startsWith("connected, behind by 0 ms, 0 changes pending, last change applied: version "
        + version + ", at 20").endsWith(", " + zk.getConnectString() + " (root " + root + ")");

    zk.stop();
    waiting().until(d -> clusterState().equals("zookeeper not connected"));
    assertThat(cluster.findElement(By.id("cluster-state")).getAttribute("class")).contains("bad");
    assertThat(clusterDetail()).matches("(suspended|lost), .*");

    zk.restart();
    waiting().until(d -> clusterState().equals("zookeeper connected"));
    assertThat(clusterDetail()).startsWith("reconnected, ");
  }

  private String clusterState() {
    return browser.findElement(By.id("cluster-state")).getText();
  }

  private String clusterDetail() {
    return browser.findElement(By.id("cluster-detail")).getText();
  }

  @Test
  void aScreenshotOfThePageWithAFewUpstreams() throws Exception {
    // The one test HtmlUnit cannot run: it lays nothing out and draws nothing, so it has no screenshot to give.
    Assumptions.assumeTrue(chromium(), "HtmlUnit draws no page: the screenshot needs Chromium");
    registry = UpstreamRegistry.builder().build();
    registry.updateUpstream("api", "least_conn; server 10.0.0.1:8080 weight=3; server 10.0.0.2:8080;"
        + " server 10.0.0.3:8080 down; server 10.0.0.4:8080 backup;");
    registry.updateUpstream("static", "server 10.0.1.1:80; server 10.0.1.2:80 drain;");
    registry.updateUpstream("sessions", "hash $cookie_sid consistent; server 10.0.2.1:9000; server 10.0.2.2:9000;");
    start(AdminHandler.builder(registry));
    browser.manage().window().setSize(new Dimension(1360, 660));
    byte[] png;
    try {
      open();
      waiting().until(d -> stateOf("static", "10.0.1.2:80").equals("draining"));
      waiting().until(d -> {
        traffic("api", 40);
        traffic("static", 15);
        return rateDrawn("api") && rateDrawn("static");
      });
      png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
    } finally {
      browser.manage().window().setSize(new Dimension(1280, 900));
    }
    Path target = Path.of("target", "dashboard.png");
    Files.write(target, png);
    assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
  }
}
