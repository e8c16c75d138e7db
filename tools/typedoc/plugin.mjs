// TypeDoc plugin for the igtl-rx API reference (tools/typedoc/typedoc.json loads it).
//
// IgtlConnection extends RxJS's Observable, whose members (pipe, subscribe, forEach, toPromise,
// ...) are RxJS's to document: their comments carry {@link}s to RxJS names that cannot resolve
// here, which the invalidLink check would report as broken. So members inherited from a class
// outside this package (Observable; Error's message, stack, cause) are left out; each page still
// says what the class extends (Observable linked to rxjs.dev by externalSymbolLinkMappings).
//
// No import of typedoc: the plugin is loaded by the TypeDoc in .cache/typedoc, and the event name
// is the string Converter.EVENT_RESOLVE_END.

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    'resolveEnd',
    (context) => {
      const project = context.project;
      let removed = 0;
      for (const reflection of Object.values(project.reflections)) {
        const from = reflection.inheritedFrom;
        if (from?.package !== undefined && from.package !== project.packageName && from.reflection === undefined) {
          project.removeReflection(reflection);
          removed += 1;
        }
      }
      app.logger.verbose(`igtl-rx plugin: left out ${removed} members inherited from other packages`);
    },
    -50, // after the ImplementsPlugin (0) has set inheritedFrom, before the GroupPlugin (-100) lists the members
  );
}
