// A real Spool server for the tests: `java -jar $SPOOL_JAR serve` on a free port and a fresh data folder.
// SPOOL_JAR is the command-line jar (cli/target/spool.jar, built by ./mvnw package), SPOOL_JAVA the java
// to run it with (default: java on the PATH); the Maven build passes both.
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

const CONFIG = `
types:
  ts.echo: {executor: worker, timeout_seconds: 60}
  ts.files: {executor: worker}
  ts.slow: {executor: worker, max_attempts: 1}
  shout: {executor: worker}
`;

const freePort = () => new Promise((done, fail) => {
  const probe = createServer();
  probe.once("error", fail);
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address();
    probe.close(() => done(port));
  });
});

const secret = (n) => Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyz234567"[Math.floor(Math.random() * 32)]).join("");

export class SpoolServer {
  static async start(extraConfig = "") {
    const server = new SpoolServer(extraConfig, await freePort());
    await server.start();
    return server;
  }

  constructor(extraConfig, port) {
    this.jar = process.env.SPOOL_JAR ?? join(ROOT, "cli", "target", "spool.jar");
    if (!existsSync(this.jar)) throw new Error(`no Spool jar at ${this.jar}: run ./mvnw package first, or set SPOOL_JAR`);
    this.java = process.env.SPOOL_JAVA ?? "java";
    this.dir = mkdtempSync(join(tmpdir(), "spool-ts-"));
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.adminKey = `spool_${secret(12)}_${secret(32)}`;
    this.config = join(this.dir, "spool.yaml");
    writeFileSync(this.config, CONFIG + extraConfig);
    this.logFile = join(this.dir, "server.log");
  }

  async start() {
    const log = openSync(this.logFile, "a");
    this.process = spawn(this.java, ["-Xmx512m", "-jar", this.jar, "serve", "--config", this.config], {
      env: {
        ...process.env, SPOOL_ADMIN_KEY: this.adminKey, SPOOL_HTTP_PORT: String(this.port), SPOOL_HTTP_HOST: "127.0.0.1",
        SPOOL_DATA_DIR: join(this.dir, "data"), SPOOL_WEBHOOKS_ALLOW_HOSTS: "127.0.0.1", SPOOL_WEBHOOKS_RETRY_SCHEDULE: "1s,1s,1s",
      },
      stdio: ["ignore", log, log],
    });
    this.exited = new Promise((done) => this.process.once("exit", done));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) throw new Error(`Spool exited with ${this.process.exitCode}; its log: ${this.tail()}`);
      try {
        const answer = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
        if (answer.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Spool was not ready within 90 s; its log: ${this.tail()}`);
  }

  async stop() {
    if (this.process && this.process.exitCode === null) {
      this.process.kill("SIGTERM");
      const killer = setTimeout(() => this.process.kill("SIGKILL"), 60_000);
      await this.exited;
      clearTimeout(killer);
    }
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  tail() {
    return readFileSync(this.logFile, "utf8").slice(-4000);
  }

  async close() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
