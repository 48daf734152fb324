/* eslint-disable @typescript-eslint/no-require-imports -- what is tested loads with require */
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { loadOptionalDependency, tryLoadOptionalDependency } from './optional-dependency';

const missing = '@nestjs-events/not-installed';

describe('tryLoadOptionalDependency', () => {
  it('returns the package when it is installed', () => {
    const api = tryLoadOptionalDependency<{ metrics: unknown }>('@opentelemetry/api', () =>
      require('@opentelemetry/api'),
    );
    expect(api?.metrics).toBeDefined();
  });

  it('returns undefined when the package is not installed', () => {
    expect(tryLoadOptionalDependency(missing, () => require(missing))).toBeUndefined();
  });

  it('throws when the package is there but cannot load, e.g. one of its own imports is missing', () => {
    const inner = Object.assign(new Error("Cannot find module 'left-pad'"), {
      code: 'MODULE_NOT_FOUND',
    });
    expect(() =>
      tryLoadOptionalDependency('some-package', () => {
        throw inner;
      }),
    ).toThrow(inner);
    const broken = new SyntaxError('Unexpected token');
    expect(() =>
      tryLoadOptionalDependency('some-package', () => {
        throw broken;
      }),
    ).toThrow(broken);
  });
});

describe('loadOptionalDependency', () => {
  it('says what to install when the package is missing', () => {
    const load = () => loadOptionalDependency(missing, 'the thing', () => require(missing));
    expect(load).toThrow(EventsConfigurationError);
    expect(load).toThrow(`Install ${missing} to use the thing: npm install ${missing}`);
  });
});
