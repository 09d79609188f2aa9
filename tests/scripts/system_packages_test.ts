import assert from "node:assert/strict";
import { ensurePackages, installedPackages, planInstall, TEST_PACKAGES } from "../../scripts/system_packages.ts";

const APT = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"];

Deno.test("install plan: as root, only the missing packages, after apt-get update", () => {
  const plan = planInstall(["python3-numpy", "chromium", "fonts-dejavu-core"], new Set(["chromium"]), "root");
  assert.deepEqual(plan.missing, ["python3-numpy", "fonts-dejavu-core"]);
  assert.deepEqual(plan.commands, [
    [...APT, "update", "-q"],
    [...APT, "install", "-y", "-q", "--no-install-recommends", "python3-numpy", "fonts-dejavu-core"],
  ]);
  assert.equal(plan.problem, null);
});

Deno.test("install plan: nothing missing still runs the installer, with no package and no update", () => {
  const wanted = TEST_PACKAGES.map((p) => p.name);
  const plan = planInstall(wanted, new Set(wanted), "root");
  assert.deepEqual(plan.missing, []);
  assert.deepEqual(plan.commands, [[...APT, "install", "-y", "-q", "--no-install-recommends"]]);
  const sudo = planInstall(wanted, new Set(wanted), "sudo");
  assert.deepEqual(sudo.commands, [["sudo", "-n", ...APT, "install", "-y", "-q", "--no-install-recommends"]]);
});

Deno.test("install plan: not root, with sudo, goes through sudo -n (never a password prompt)", () => {
  const plan = planInstall(["chromium"], new Set(), "sudo");
  for (const command of plan.commands) assert.deepEqual(command.slice(0, 2), ["sudo", "-n"]);
  assert.equal(plan.commands.length, 2);
});

Deno.test("install plan: no root and no sudo names the missing packages in one sentence", () => {
  const plan = planInstall(["python3-numpy", "chromium"], new Set(["python3-numpy"]), "none");
  assert.deepEqual(plan.commands, []);
  assert.match(plan.problem ?? "", /^these Debian packages are missing .*: chromium; install them .*chromium/);
  assert.ok(!(plan.problem ?? "").includes("\n"));
  assert.equal(planInstall(["chromium"], new Set(["chromium"]), "none").problem, null);
});

Deno.test("dpkg-query decides per package: dpkg is installed, a made-up name is not", async () => {
  const installed = await installedPackages(["dpkg", "no-such-package-minimnist"]);
  assert.ok(installed.has("dpkg"));
  assert.ok(!installed.has("no-such-package-minimnist"));
});

Deno.test({
  name:
    "ensurePackages with quietWhenPresent: everything installed, so no apt-get and not a word (the notebook's start)",
  ignore: !(() => {
    try {
      return Deno.statSync("/usr/bin/dpkg-query").isFile;
    } catch {
      return false;
    }
  })(),
  async fn() {
    const printed: unknown[] = [];
    const [log, error] = [console.log, console.error];
    console.log = console.error = (...args: unknown[]) => printed.push(args);
    try {
      // dpkg itself is installed wherever dpkg-query is
      assert.equal(
        await ensurePackages([{ name: "dpkg", why: "the package manager" }], { quietWhenPresent: true }),
        true,
      );
    } finally {
      [console.log, console.error] = [log, error];
    }
    assert.deepEqual(printed, []);
  },
});
