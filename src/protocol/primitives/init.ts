/**
 * `Init<T>`: the input type of generated encoders. Every field is optional
 * (the encoder writes the spec default for a missing one), nested structs
 * recursively so, and byte fields may be a list of chunks (zero-copy).
 */
export type Init<T> = T extends Buffer
  ? Buffer | Buffer[]
  : T extends string | number | boolean | null | undefined
    ? T
    : T extends readonly (infer U)[]
      ? Init<U>[]
      : { [K in keyof T]?: Init<T[K]> };
