import { Global, Inject, Module, type DynamicModule } from '@nestjs/common';
import type { Settings } from '@kineo/config';

/** The settings parsed once at start-up; nothing in the gateway reads process.env after that. */
export const SETTINGS = Symbol('kineo.settings');

export const InjectSettings = (): ParameterDecorator => Inject(SETTINGS);

@Global()
@Module({})
export class SettingsModule {
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: SettingsModule,
      providers: [{ provide: SETTINGS, useValue: settings }],
      exports: [SETTINGS],
    };
  }
}
