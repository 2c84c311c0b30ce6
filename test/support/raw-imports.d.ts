// A fixture imported as its text (`./file?raw`), as Vite, which runs the tests, reads it.
declare module "*?raw" {
  const text: string;
  export default text;
}
