#!/usr/bin/env bash
# Checks the published packages as a registry and their users get them: packs each one with
# `npm pack`, checks every tarball (license, source maps, publint, Are the Types Wrong), then
# installs the tarballs into a fresh Nest 11 app and a fresh Nest 12 app outside the monorepo,
# compiles a small user module with strict tsc under `module: commonjs` (node10 resolution) and
# `module: node16` (an ES module importing the CommonJS packages), and boots both builds with
# plain node on the in-memory transport.
#
# Prints one line per check and exits non-zero if any failed. Everything happens in a temporary
# folder that is removed at exit; every step is bounded by `timeout`. Needs the package registry
# for the apps' dependencies (the npm cache is used when it has them).
#
#   scripts/check-packages.sh            # builds the packages first (incremental: quick when built)
#   KEEP_WORK=1 scripts/check-packages.sh  # keeps the temporary folder, for a look at a failure
#   STRICT_LIB_CHECK=1 scripts/check-packages.sh  # the apps type-check the packages' .d.ts too
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/node_modules/.bin
started=$(date +%s)

work=$(mktemp -d "${TMPDIR:-/tmp}/check-packages.XXXXXX")
cleanup() {
  if [ "${KEEP_WORK:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
mkdir -p "$work/tarballs" "$work/unpacked" "$work/logs"

failures=0
# check NAME SECONDS COMMAND...: runs COMMAND for at most SECONDS, prints one line, and the end of
# its output when it failed.
check() {
  local name=$1 seconds=$2
  shift 2
  local log
  log="$work/logs/$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_').log"
  if timeout --kill-after=10 "$seconds" "$@" >"$log" 2>&1; then
    printf 'ok    %s\n' "$name"
  else
    printf 'FAIL  %s\n' "$name"
    tail -n 40 "$log" | sed 's/^/      /'
    failures=$((failures + 1))
  fi
}
skip() {
  printf 'FAIL  %s (not run: %s)\n' "$1" "$2"
  failures=$((failures + 1))
}

# The published packages: every packages/* that is not private.
packages=()
for dir in packages/*/; do
  dir=${dir%/}
  if [ "$(node -p "require('./$dir/package.json').private === true")" = false ]; then
    packages+=("$dir")
  fi
done

# The samples must never be published: every other workspace is private.
check "libs/* and apps/* are private" 10 node -e '
  const fs = require("fs");
  const open = ["libs", "apps"].flatMap((d) => fs.readdirSync(d).map((n) => `${d}/${n}`))
    .filter((d) => fs.existsSync(`${d}/package.json`))
    .filter((d) => JSON.parse(fs.readFileSync(`${d}/package.json`, "utf8")).private !== true);
  if (open.length) { console.error(`not private: ${open.join(", ")}`); process.exit(1); }
'

# Only the published packages' projects: the sample apps are not packed.
build_configs=()
for dir in "${packages[@]}"; do build_configs+=("$dir/tsconfig.build.json"); done
check "build ${#packages[@]} packages (tsc -b)" 600 "$bin/tsc" -b "${build_configs[@]}"

tarball_of() { # the tarball's path for a package folder
  node -p "const p = require('./$1/package.json'); '$work/tarballs/' + p.name.replace(/^@/, '').replace('/', '-') + '-' + p.version + '.tgz'"
}

for dir in "${packages[@]}"; do
  name=$(node -p "require('./$dir/package.json').name")
  check "$name: npm pack" 120 npm pack --silent --pack-destination "$work/tarballs" --workspace "$dir"
done

# Each tarball on its own.
for dir in "${packages[@]}"; do
  name=$(node -p "require('./$dir/package.json').name")
  tgz=$(tarball_of "$dir")
  if [ ! -f "$tgz" ]; then
    skip "$name: tarball checks" 'no tarball'
    continue
  fi
  out="$work/unpacked/$(basename "$tgz" .tgz)"
  mkdir -p "$out"
  tar -xzf "$tgz" -C "$out"

  check "$name: LICENSE identical to the root one" 10 cmp "$root/LICENSE" "$out/package/LICENSE"
  # Every source of every .js.map and .d.ts.map is in the tarball, every shipped source has its
  # compiled file (no spec helpers or stray files), and no spec is shipped.
  check "$name: source maps resolve inside the tarball" 60 node -e '
    const fs = require("fs"), path = require("path");
    const pkg = path.resolve(process.argv[1]);
    const files = [];
    (function walk(d) {
      for (const e of fs.readdirSync(d, { withFileTypes: true }))
        e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name));
    })(pkg);
    const problems = [];
    let maps = 0;
    for (const f of files.filter((f) => f.endsWith(".map"))) {
      maps++;
      const map = JSON.parse(fs.readFileSync(f, "utf8"));
      for (const s of map.sources) {
        const target = path.resolve(path.dirname(f), map.sourceRoot || "", s);
        if (!target.startsWith(pkg + path.sep) || !fs.existsSync(target))
          problems.push(`${path.relative(pkg, f)}: source ${s} is not in the tarball`);
      }
    }
    for (const f of files.filter((f) => /\.spec(-helpers)?\.|\.tsbuildinfo$/.test(f)))
      problems.push(`${path.relative(pkg, f)}: not meant to be published`);
    for (const f of files.filter((f) => f.startsWith(path.join(pkg, "src") + path.sep))) {
      const js = path.join(pkg, "dist", path.relative(path.join(pkg, "src"), f)).replace(/\.ts$/, ".js");
      if (!fs.existsSync(js)) problems.push(`${path.relative(pkg, f)}: shipped, but nothing compiled from it`);
    }
    if (maps === 0) problems.push("no source maps at all");
    if (problems.length) {
      console.error(problems.join("\n"));
      console.error("(build output of a removed source? npm run clean && npm run build)");
      process.exit(1);
    }
    console.log(`${maps} maps checked`);
  ' "$out/package"
  # --strict: warnings fail too.
  check "$name: publint" 120 "$bin/publint" run --strict "$tgz"
  # Every entry point for node10, node16 from CJS and from ESM, and bundlers. No rule is ignored:
  # the packages are CommonJS with types next to each file, so `cjs-resolves-to-esm` and the
  # like do not arise; an ignore, if one becomes needed, goes here with its reason.
  check "$name: attw" 180 "$bin/attw" "$tgz" --format ascii
done

# The user module: the README's producer and handlers, with every entry point a user imports.
write_app() {
  cat >"$1" <<'EOF'
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBus,
  EventHandler,
  EventsModule,
  Idempotent,
  InMemoryTransport,
  defineEvent,
  type EventOf,
  type Transport,
} from '@nestjs-events/core';
import { EventProbe } from '@nestjs-events/core/testing';
import { backoffDelay, chunkBatches } from '@nestjs-events/core/transport';
import { SqsTransport } from '@nestjs-events/sqs';
import { SqsConsumingTransport, snsUnwrapper } from '@nestjs-events/sqs/transport';
import { SnsSqsTransport } from '@nestjs-events/sns';
import { EventBridgeTransport } from '@nestjs-events/eventbridge';
import { z } from 'zod';

export const OrderPlaced = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: z.object({ orderId: z.string(), amount: z.number().int() }),
});

const receipts: string[] = [];
const credited: string[] = [];

@Injectable()
export class Checkout {
  constructor(private readonly bus: EventBus) {}

  place(orderId: string, amount: number): Promise<void> {
    return this.bus.publish(OrderPlaced.create({ orderId, amount }, { aggregateId: orderId }));
  }
}

@Injectable()
export class Receipts {
  @EventHandler(OrderPlaced)
  send(event: EventOf<typeof OrderPlaced>): void {
    receipts.push(event.data.orderId);
  }
}

@Injectable()
export class Points {
  @Idempotent({ key: (event) => (event as EventOf<typeof OrderPlaced>).data.orderId })
  @EventHandler(OrderPlaced, { retry: { maxAttempts: 2 } })
  credit(event: EventOf<typeof OrderPlaced>): void {
    credited.push(event.data.orderId);
  }
}

@Module({
  imports: [EventsModule.forRoot({ source: 'check-packages', transports: [new InMemoryTransport()] })],
  providers: [Checkout, Receipts, Points],
})
export class AppModule {}

async function main(): Promise<void> {
  // Constructed, never started: their classes load and their options type-check.
  const brokers: Transport[] = [
    new SqsTransport({ region: 'eu-west-1', publishTo: 'orders', queues: [{ name: 'orders' }] }),
    new SnsSqsTransport({ region: 'eu-west-1', topics: { prefix: 'shop-' } }),
    new EventBridgeTransport({ region: 'eu-west-1', eventBusName: 'shop' }),
  ];
  if (!(brokers[0] instanceof SqsConsumingTransport)) throw new Error('SqsTransport is no SqsConsumingTransport');
  if (typeof snsUnwrapper !== 'object') throw new Error('snsUnwrapper missing');
  if (chunkBatches([1, 2, 3], () => 1, 2, 1024).length !== 2) throw new Error('chunkBatches');
  if (!(backoffDelay(1, 10, 10) >= 0)) throw new Error('backoffDelay');

  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
  const probe = EventProbe.attach(app);
  const checkout = app.get(Checkout);
  await checkout.place('o-1', 100);
  await checkout.place('o-1', 100); // the same order again: Points credits it once
  await probe.waitFor('order.placed', undefined, { timeoutMs: 5000 });
  await probe.waitForIdle();
  await app.close();
  if (receipts.length !== 2 || credited.length !== 1)
    throw new Error(`handlers ran ${receipts.length} and ${credited.length} times, expected 2 and 1`);
  console.log(`handled by ${brokers.map((t) => t.name).join(', ')} users: receipts=2 points=1`);
}

const deadline = setTimeout(() => {
  console.error('no result within 20 s');
  process.exit(1);
}, 20_000);
deadline.unref();
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
EOF
}

# The apps compile as `nest new` sets them up, with skipLibCheck: every import of the packages
# still has to resolve and the user code is checked against their declarations, but errors
# inside .d.ts files are not reported. STRICT_LIB_CHECK=1 reports them too.
if [ "${STRICT_LIB_CHECK:-}" = 1 ]; then SKIP_LIB_CHECK=false; else SKIP_LIB_CHECK=true; fi

# tsconfig FILE MODULE RESOLUTION INCLUDE OUTDIR
write_tsconfig() {
  cat >"$1" <<EOF
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "$2",
    "moduleResolution": "$3",
    "strict": true,
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true,
    "esModuleInterop": true,
    "skipLibCheck": ${SKIP_LIB_CHECK},
    "types": ["node"],
    "outDir": "$5"
  },
  "files": ["$4"]
}
EOF
}

tarballs=()
for dir in packages/core packages/event-patterns packages/sqs packages/sns packages/eventbridge packages/cli; do
  tarballs+=("$(tarball_of "$dir")")
done

for nest in 11 12; do
  app="$work/nest$nest"
  mkdir -p "$app/src" "$app/src-esm"
  (cd "$app" && npm init -y >/dev/null)
  check "nest $nest: npm install the tarballs into a fresh app" 600 \
    bash -c 'cd "$1" && shift && npm install --no-audit --no-fund "$@"' _ "$app" \
    "@nestjs/common@^$nest" "@nestjs/core@^$nest" reflect-metadata rxjs typescript@~5.9 \
    @types/node@^20 zod @aws-sdk/client-sqs@^3 @aws-sdk/client-sns@^3 @aws-sdk/client-eventbridge@^3 \
    "${tarballs[@]}"
  if [ ! -x "$app/node_modules/.bin/tsc" ]; then
    skip "nest $nest: compile and boot" 'install failed'
    continue
  fi
  # The CLI's bin, as npx runs it from the installed tarball.
  check "nest $nest: npx nestjs-events --help" 30 \
    bash -c 'cd "$1" && npx --no-install nestjs-events --help | grep -q "Usage: nestjs-events"' _ "$app"
  check "nest $nest: @nestjs/core $nest.x installed" 10 \
    node -e 'const v = require(process.argv[1] + "/node_modules/@nestjs/core/package.json").version; console.log(v); process.exit(v.split(".")[0] === process.argv[2] ? 0 : 1)' "$app" "$nest"

  write_app "$app/src/main.ts"
  cp "$app/src/main.ts" "$app/src-esm/main.mts" # an ES module under node16: main.mjs
  write_tsconfig "$app/tsconfig.cjs.json" commonjs node10 src/main.ts build-cjs
  write_tsconfig "$app/tsconfig.esm.json" node16 node16 src-esm/main.mts build-esm

  check "nest $nest: tsc strict, module commonjs (node10 resolution)" 300 \
    "$app/node_modules/.bin/tsc" -p "$app/tsconfig.cjs.json"
  check "nest $nest: tsc strict, module node16 (ES module importing the packages)" 300 \
    "$app/node_modules/.bin/tsc" -p "$app/tsconfig.esm.json"
  for build in build-cjs/main.js build-esm/main.mjs; do
    if [ -f "$app/$build" ]; then
      check "nest $nest: node $build publishes, the handlers run once and twice" 60 \
        bash -c 'cd "$1" && node "$2" | tee /dev/stderr | grep -q "receipts=2 points=1"' _ "$app" "$build"
    else
      skip "nest $nest: node $build" 'not compiled'
    fi
  done
done

echo "$failures failed, in $(($(date +%s) - started)) s"
[ "$failures" -eq 0 ]
