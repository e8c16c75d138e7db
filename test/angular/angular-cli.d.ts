// The two packages of an `ng new` app that the repository root does not install
// (@angular/router, @angular/platform-browser; the root has @angular/core and @angular/common
// only), declared just as far as src/main.ts, src/app/app.config.ts, src/app/app.routes.ts and
// src/app/app.ts use them, with the signatures of Angular 20. This keeps the root's fast
// type-check of the doc's blocks (tsc -p test/angular/tsconfig.json, and tsconfig.test.json)
// working; test/angular/angular-app.build.test.ts compiles the same files against the real packages
// with the Angular compiler (strict templates) in the app of test/angular-app.
declare module '@angular/router' {
  import type { EnvironmentProviders, Type } from '@angular/core';
  export interface Route {
    path?: string;
    component?: Type<unknown>;
    redirectTo?: string;
    pathMatch?: 'prefix' | 'full';
    children?: Routes;
  }
  export type Routes = Route[];
  export function provideRouter(routes: Routes, ...features: unknown[]): EnvironmentProviders;
  export declare class RouterOutlet {}
}

declare module '@angular/platform-browser' {
  import type { ApplicationConfig, ApplicationRef, Type } from '@angular/core';
  export function bootstrapApplication(rootComponent: Type<unknown>, options?: ApplicationConfig): Promise<ApplicationRef>;
}
