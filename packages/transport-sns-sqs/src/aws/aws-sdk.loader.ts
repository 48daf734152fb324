import { EventsConfigurationError } from '@nestjs-events/core';

/**
 * Loads an AWS SDK client package when a transport is constructed, not when this package is
 * imported, so an application that never uses the transport does not need the SDK.
 */
export function loadAwsSdk<T>(packageName: string, usedFor: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(packageName) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new EventsConfigurationError(
        `Install ${packageName} to use ${usedFor}: npm install ${packageName}`,
      );
    }
    throw error;
  }
}
