export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__emulators ?? []).map((server) => server.stop()));
  globalThis.__emulators = undefined;
}
