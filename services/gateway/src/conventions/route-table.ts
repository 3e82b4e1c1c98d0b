/**
 * Which methods each registered path answers, so that a known path asked with
 * a method it lacks is a 405 naming the allowed ones rather than a 404.
 * Filled from fastify's onRoute hook; pure so it unit-tests.
 */
export class RouteTable {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  private readonly byUrl = new Map<string, Set<string>>();

  add(url: string, methods: string | string[]): void {
    let set = this.byUrl.get(url);
    if (!set) {
      set = new Set();
      this.byUrl.set(url, set);
      this.routes.push({ pattern: patternFor(url), methods: set });
    }
    for (const m of Array.isArray(methods) ? methods : [methods]) set.add(m.toUpperCase());
  }

  /**
   * The methods answered at this concrete path, sorted. OPTIONS is left out:
   * the CORS plugin answers it on every path, which says nothing of a resource.
   */
  allowedMethods(path: string): string[] {
    const found = new Set<string>();
    for (const route of this.routes) {
      if (!route.pattern.test(path)) continue;
      for (const m of route.methods) if (m !== 'OPTIONS') found.add(m);
    }
    return [...found].sort();
  }
}

function patternFor(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/** The process's routes (one gateway app per process). */
export const routeTable = new RouteTable();
