// src/app/app.routes.ts
import type { Routes } from '@angular/router';

export const routes: Routes = [];
