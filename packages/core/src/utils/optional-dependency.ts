import { EventsConfigurationError } from '../errors/events-configuration.error';

/**
 * Loads an optional peer dependency when a feature is first used, not when a package is imported,
 * so an application that never uses the feature does not need it installed. `load` must be the
 * caller's own `() => require('name')`, so that the name resolves from the caller's package.
 * A missing package gives an error that says what to install; one that fails to load for another
 * reason shows its own error.
 */
export function loadOptionalDependency<T>(
  packageName: string,
  usedFor: string,
  load: () => unknown,
): T {
  try {
    return load() as T;
  } catch (error) {
    if (isMissing(packageName, error)) {
      throw new EventsConfigurationError(
        `Install ${packageName} to use ${usedFor}: npm install ${packageName}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Like `loadOptionalDependency`, for a package that only adds to a feature (e.g. exporting metrics
 * to OpenTelemetry): `undefined` when it is not installed. One that is installed but fails to load
 * still throws, as that is a broken installation rather than a choice.
 */
export function tryLoadOptionalDependency<T>(
  packageName: string,
  load: () => unknown,
): T | undefined {
  try {
    return load() as T;
  } catch (error) {
    if (isMissing(packageName, error)) return undefined;
    throw error;
  }
}

/** True when `error` says that `packageName` itself (not one of its own imports) is missing. */
function isMissing(packageName: string, error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && String(message).includes(`'${packageName}'`);
}
