/** Facts read straight off a trace's text with a regex: what the tests compare the store's answers with. */

/** count= and mapcount= of every page_ref event of `pfn`, in trace order. */
export function tracedCounts(text: string, pfn: number): { count: number; mapcount: number }[] {
  const re = new RegExp(`page_ref_\\w+: pfn=0x${pfn.toString(16)} .*? count=(-?\\d+) mapcount=(-?\\d+)`, 'g');
  return [...text.matchAll(re)].map((m) => ({ count: Number(m[1]), mapcount: Number(m[2]) }));
}
