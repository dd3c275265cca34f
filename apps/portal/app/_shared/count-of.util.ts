/** A count and its noun, agreeing in number: "1 member", "1,204 members". The noun's plural is passed, as English has irregular ones. */
export function countOf(n: number, one: string, many: string, locale: string): string {
  return `${new Intl.NumberFormat(locale).format(n)} ${n === 1 ? one : many}`;
}
