/**
 * A path of the kernel the simulator does not model. Thrown instead of carrying on with a path that
 * would print a trace the kernel never prints; the scenario runner reports it with the statement's
 * file and line.
 */
export class NotModelled extends Error {
  override readonly name = 'NotModelled';
}
