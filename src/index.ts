import { buildApp } from "./app";

export { ActivityObject } from "./objects/ActivityObject";

export default buildApp() satisfies ExportedHandler<Env>;
