export * from './n8n';
export * from './package';
export * from './paths';
export * from './ports';
export * from './rest';
export * from './wait';
export * from './workflows';
